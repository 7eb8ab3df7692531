// Executor factories by name. The Docker executor plugs in here with one entry.
import type { Executor } from '../executors/types.js';
import type { KilnConfig } from '../config/types.js';

export interface ExecutorFactoryOptions {
  config?: KilnConfig;
}

export type ExecutorFactory = (options: ExecutorFactoryOptions) => Promise<Executor>;

export const executorFactories: Record<string, ExecutorFactory> = {
  shell: async (o) => {
    const { createShellExecutor } = await import('../executors/shell/executor.js');
    return createShellExecutor({ shell: o.config?.runner.shell });
  },
  docker: async (o) => (await import('../executors/docker/executor.js')).createDockerExecutor(o.config),
};
