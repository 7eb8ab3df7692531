// Executor factories by name. The Docker executor plugs in here with one entry.
import type { Executor } from './types.js';
import type { KilnConfig } from '../config/types.js';

export interface ExecutorFactoryOptions {
  config?: KilnConfig;
}

export type ExecutorFactory = (options: ExecutorFactoryOptions) => Promise<Executor>;

export const executorFactories: Record<string, ExecutorFactory> = {
  shell: async (o) => {
    const { createShellExecutor } = await import('./shell/executor.js');
    return createShellExecutor({ shell: o.config?.runner.shell });
  },
  docker: async (o) => (await import('./docker/executor.js')).createDockerExecutor(o.config),
};
