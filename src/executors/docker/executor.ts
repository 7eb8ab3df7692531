// The Docker executor: each job in a container of its image, the workspace bind-mounted at
// /builds/<namespace>/<project>, services on a per-job network. The main step runs as the job container's
// command; after_script runs in a fresh container sharing its mounts (VolumesFrom), as GitLab runs it in a
// fresh shell. Everything created carries io.kiln.* labels and is removed by cleanup (or `kiln prune`).
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { KilnConfig } from '../../config/types.js';
import { DEFAULT_CONFIG } from '../../config/types.js';
import {
  AFTER_SCRIPT_DEFAULT_MS,
  type Executor,
  type JobSetup,
  type PreparedJob,
  type StepOptions,
  type StepResult,
} from '../types.js';
import { connectDocker, DockerError, dockerMessage, LABEL, ownerLabel } from './client.js';
import { containerEnv, hostConfig, slugName, usesVarsDir, VARS_DIR } from './container-spec.js';
import { checkAllowed, checkRunnable, ensureImage } from './image.js';
import { sentinelPath, STATUS_DIR, stepCommand, stepScripts, STEPS_DIR } from './script.js';
import { serviceProblems, settle, startService, type StartedService } from './services.js';
import { trackLive, untrackLive } from './live.js';
import { runContainer } from './step.js';
import { handOver, isRootUser, resolveIds } from './user.js';
import { createImageResolver } from '../../images/build/resolve.js';

export interface DockerState {
  docker: Docker;
  namePrefix: string;
  labels: Record<string, string>;
  /** Step scripts (mounted read-only) and the step sentinels (writable), next to the workspace (see prepare). */
  stepsDir?: string;
  statusDir?: string;
  networkId?: string;
  serviceIds: string[];
  containerIds: string[];
  main?: Docker.Container;
  mainUsed: boolean;
  /** Options the after_script container is made from. */
  base?: { image: string; user?: string; entrypoint?: string[]; platform?: string; networkMode?: string };
  cleaned: boolean;
  /** Host paths handed to the container user, with their original owner (given back by cleanup). */
  handedOver: { path: string; uid: number; gid: number }[];
}

type ExecutorConfig = Pick<KilnConfig, 'docker'> & {
  runner?: Partial<KilnConfig['runner']>;
  images?: KilnConfig['images'];
};

export function createDockerExecutor(config: ExecutorConfig = DEFAULT_CONFIG): Executor {
  const settings = config.docker;
  const shell = config.runner?.shell ?? 'bash';
  const buildsDir = (config.runner?.buildsDir ?? '/builds').replace(/\/+$/, '') || '/builds';
  const images = new Map<string, Promise<Docker.ImageInspectInfo>>();
  // [images.<name>] of kiln.toml: a job naming one runs in its content-tagged build (built on first use).
  const builds = Object.keys(config.images ?? {}).length ? createImageResolver(config.images!) : undefined;
  /** Names kiln itself sets (kiln.toml environment, job variables): never mistaken for pass-through host variables. */
  const configNames = (config.runner?.environment ?? []).map((e) => e.slice(0, e.indexOf('=')));
  const ownNames = (job: JobSetup['job']) => new Set([...configNames, ...Object.keys(job.variables)]);

  async function cleanupState(state: DockerState): Promise<void> {
    if (state.cleaned) return;
    state.cleaned = true;
    const ids = [...state.containerIds, ...state.serviceIds];
    await Promise.all(
      ids.map((id) =>
        state.docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
    if (state.networkId)
      await state.docker
        .getNetwork(state.networkId)
        .remove()
        .catch(() => undefined);
    for (const id of [...ids, state.networkId ?? '']) untrackLive(id);
    for (const d of [state.stepsDir, state.statusDir])
      if (d) await rm(d, { recursive: true, force: true }).catch(() => undefined);
    // Files the job wrote belong to the container user; give the tree back to the host user who owns it.
    for (const h of state.handedOver) await handOver(h.path, { uid: h.uid, gid: h.gid }).catch(() => undefined);
  }

  async function prepare(setup: JobSetup, signal?: AbortSignal): Promise<PreparedJob> {
    const docker = await connectDocker();
    const job = setup.job;
    const imageSpec = job.image ?? (settings.image ? { name: settings.image } : undefined);
    if (!imageSpec) {
      throw new DockerError(
        `job "${job.name}" has no image: (job or default) and kiln.toml [docker] image is not set`,
        'E_NO_IMAGE',
      );
    }
    checkAllowed(imageSpec.name, settings.allowedImages);
    await checkBindSources(config);
    const state: DockerState = {
      docker,
      namePrefix: `kiln-${slugName(setup.runId, 50)}-${randomBytes(3).toString('hex')}`,
      labels: { [LABEL.run]: setup.runId, [LABEL.job]: job.name, [LABEL.owner]: ownerLabel() },
      serviceIds: [],
      containerIds: [],
      mainUsed: false,
      cleaned: false,
      handedOver: [],
    };
    const ns = setup.env.CI_PROJECT_NAMESPACE || 'local';
    const project = setup.env.CI_PROJECT_NAME || 'project';
    const projectDir = `${buildsDir}/${ns}/${project}`;
    const prepared: PreparedJob = { setup, projectDir, state };
    try {
      const built = builds
        ? await builds.resolve(docker, imageSpec.name, imageSpec.platform, (l) => setup.onInfo?.(l))
        : undefined;
      if (built) {
        setup.onInfo?.(
          `Using image ${imageSpec.name} from kiln.toml [images.${built.name}]: ${built.tag} ` +
            `(${
              built.reused
                ? built.built
                  ? 'built by an earlier job of this run'
                  : 'unchanged, not rebuilt'
                : built.built
                  ? `built in ${built.seconds.toFixed(1)}s`
                  : 'unchanged, not rebuilt'
            })`,
        );
      }
      // A built image is local by construction: never pulled, whatever the policy.
      const policies = built ? ['never' as const] : (imageSpec.pullPolicy ?? settings.pullPolicy);
      const imageName = built?.tag ?? imageSpec.name;
      const key = `${imageName}|${imageSpec.platform ?? ''}|${policies.join(',')}`;
      // One lookup per image per run (not with "always", which must pull for every job).
      let lookup = policies.includes('always') ? undefined : images.get(key);
      if (!lookup) {
        lookup = ensureImage(docker, {
          name: imageName,
          policies,
          platform: imageSpec.platform,
          who: `job ${job.name}`,
        });
        if (!policies.includes('always')) images.set(key, lookup);
        lookup.catch(() => images.delete(key));
      }
      const image = await lookup;
      checkRunnable(image, imageSpec.name);
      if (signal?.aborted) throw new DockerError('cancelled', 'E_CANCELLED');
      // Next to the workspace, inside the job's private directory: removed with it, and reclaimed with the
      // pipeline's directory after a kill -9 (never left in /tmp).
      state.stepsDir = `${setup.workspaceDir}.steps`;
      state.statusDir = `${setup.workspaceDir}.status`;
      await mkdir(state.stepsDir, { recursive: true, mode: 0o755 });
      await mkdir(state.statusDir, { recursive: true });
      // Any container user writes its sentinel here; the parent directory keeps it private on the host.
      await chmod(state.statusDir, 0o777);

      const env = containerEnv(setup.env, { workspaceDir: setup.workspaceDir, projectDir, buildsDir }, ownNames(job));
      const binds = [
        `${setup.workspaceDir}:${projectDir}`,
        `${state.stepsDir}:${STEPS_DIR}:ro`,
        `${state.statusDir}:${STATUS_DIR}`,
      ];
      const varsDir = `${setup.workspaceDir}.tmp`;
      const withVars = usesVarsDir(setup.env, setup.workspaceDir);
      if (withVars) binds.push(`${varsDir}:${VARS_DIR}:ro`);
      const hc = hostConfig(settings, binds);

      const started: StartedService[] = [];
      let servicesStartedAt = Date.now();
      if (job.services.length) {
        const net = await docker.createNetwork({
          Name: `${state.namePrefix}-net`,
          Labels: { ...state.labels, [LABEL.role]: 'network' },
          CheckDuplicate: true,
        });
        state.networkId = net.id;
        trackLive('network', net.id);
        hc.NetworkMode = `${state.namePrefix}-net`;
        const ctx = {
          docker,
          network: hc.NetworkMode,
          labels: state.labels,
          env,
          defaultPolicies: settings.pullPolicy,
          namePrefix: state.namePrefix,
          signal,
        };
        for (let i = 0; i < job.services.length; i++) {
          if (signal?.aborted) throw new DockerError('cancelled', 'E_CANCELLED');
          started.push(await startService(ctx, job.services[i], i, state.serviceIds));
        }
        servicesStartedAt = Date.now();
      }
      prepared.warnings = [];
      const user = imageSpec.user ?? (image.Config?.User || undefined);
      state.base = {
        image: image.Id,
        user,
        entrypoint: imageSpec.entrypoint,
        platform: imageSpec.platform,
        networkMode: hc.NetworkMode,
      };
      state.main = await createStepContainer(state, 'main', env, projectDir, hc);
      if (!isRootUser(user)) {
        const ids = await resolveIds(state.main, user!);
        for (const path of withVars ? [setup.workspaceDir, varsDir] : [setup.workspaceDir]) {
          const st = await stat(path);
          if ((await handOver(path, ids)) === 'chown') state.handedOver.push({ path, uid: st.uid, gid: st.gid });
        }
      }
      // Like GitLab Runner: a service that died or never opened its ports is a warning with its log, not an
      // error (the job may not need it).
      if (started.length) {
        if (started.every((s) => !s.healthError)) await settle(servicesStartedAt);
        prepared.warnings.push(...(await serviceProblems(docker, started)));
      }
      return prepared;
    } catch (e) {
      await cleanupState(state);
      throw e;
    }
  }

  async function createStepContainer(
    state: DockerState,
    kind: 'main' | 'after',
    env: string[],
    projectDir: string,
    hc: Docker.HostConfig,
  ): Promise<Docker.Container> {
    const base = state.base!;
    const body: Docker.ContainerCreateOptions = {
      Image: base.image,
      Cmd: stepCommand(kind, shell),
      Env: env,
      WorkingDir: projectDir,
      Labels: { ...state.labels, [LABEL.role]: kind === 'main' ? 'job' : 'after-script' },
      HostConfig: hc,
      AttachStdout: true,
      AttachStderr: true,
    };
    if (base.entrypoint) body.Entrypoint = base.entrypoint;
    if (base.user) body.User = base.user;
    // The Engine takes name and platform as query parameters and the rest as the JSON body; dockerode's
    // _query/_body split sends each where it belongs (otherwise every option lands in the URL as well).
    const query: Record<string, string> = { name: `${state.namePrefix}-${kind}` };
    if (base.platform) query.platform = base.platform;
    try {
      const c = await state.docker.createContainer({
        _query: query,
        _body: body,
      } as unknown as Docker.ContainerCreateOptions);
      state.containerIds.push(c.id);
      trackLive('container', c.id);
      return c;
    } catch (e) {
      throw new DockerError(
        `cannot create the ${kind === 'main' ? 'job' : 'after_script'} container: ${dockerMessage(e)}`,
        'E_DOCKER_CREATE',
      );
    }
  }

  async function runScript(
    prepared: PreparedJob,
    kind: 'main' | 'after',
    lines: string[],
    options: StepOptions,
  ): Promise<StepResult> {
    const state = prepared.state as DockerState;
    if (!state?.main || state.cleaned) throw new DockerError('job container is gone (cleanup already ran)');
    const scripts = stepScripts(lines, prepared.projectDir);
    await writeFile(join(state.stepsDir!, `${kind}.bash`), scripts.bash, { mode: 0o644 });
    await writeFile(join(state.stepsDir!, `${kind}.sh`), scripts.sh, { mode: 0o644 });
    let container: Docker.Container;
    if (kind === 'main') {
      if (state.mainUsed) throw new DockerError('the main step already ran for this job');
      state.mainUsed = true;
      container = state.main;
    } else {
      const env = containerEnv(
        prepared.setup.env,
        {
          workspaceDir: prepared.setup.workspaceDir,
          projectDir: prepared.projectDir,
          buildsDir,
        },
        ownNames(prepared.setup.job),
      );
      // Same mounts as the job container (workspace, steps, volumes) and the same limits.
      const { Binds: _b, Mounts: _m, ...limits } = hostConfig(settings, []);
      const hc: Docker.HostConfig = { ...limits, VolumesFrom: [state.main.id] };
      if (state.base!.networkMode) hc.NetworkMode = state.base!.networkMode;
      container = await createStepContainer(state, 'after', env, prepared.projectDir, hc);
    }
    const timeoutMs = kind === 'after' ? (options.timeoutMs ?? AFTER_SCRIPT_DEFAULT_MS) : options.timeoutMs;
    const sentinel = join(state.statusDir!, sentinelPath(kind).slice(STATUS_DIR.length + 1));
    await rm(sentinel, { force: true });
    const result = await runContainer(state.docker, container, { ...options, timeoutMs }, settings.memory);
    if (!result.cancelled && !result.timedOut && !existsSync(sentinel)) {
      const entrypoint = state.base!.entrypoint
        ? `entrypoint ${JSON.stringify(state.base!.entrypoint)}`
        : "the image's entrypoint";
      return {
        ...result,
        exitCode: result.exitCode || 1,
        reason: `the script did not run: the container exited with code ${result.exitCode} before starting it; ${entrypoint} must run the command it is given (e.g. exec "$@")`,
      };
    }
    return result;
  }

  return {
    name: 'docker',
    prepare,
    runScript,
    async cleanup(prepared: PreparedJob): Promise<void> {
      const state = prepared.state as DockerState | undefined;
      if (state) await cleanupState(state);
    },
  };
}

/** Bind sources must exist: the engine would otherwise create an empty root-owned directory there. */
async function checkBindSources(config: ExecutorConfig): Promise<void> {
  for (const v of config.docker.volumes) {
    if (v.kind !== 'bind') continue;
    const ok = await stat(v.source).then(
      () => true,
      () => false,
    );
    if (!ok) throw new DockerError(`volume "${v.raw}" in kiln.toml: host path ${v.source} does not exist`, 'E_VOLUME');
  }
}
