// The flags `kiln lint` and `kiln jobs` share: which file, and the pipeline context rules are evaluated in.
import type { Command } from 'commander';
import type { PipelineFlags } from '../../pipeline/options.js';
import { collect } from '../collect.js';

export type { PipelineFlags };

export function addPipelineFlags(command: Command): Command {
  return command
    .option('-f, --file <file>', 'pipeline file, relative to the project directory', '.gitlab-ci.yml')
    .option('-C, --dir <dir>', 'project directory (default: current directory)')
    .option('--ref <ref>', 'branch or tag to evaluate rules for (default: the checked-out one)')
    .option('--tag', 'the ref is a tag')
    .option('--source <source>', 'CI_PIPELINE_SOURCE (default push)')
    .option('--default-branch <branch>', 'CI_DEFAULT_BRANCH (default: from git)')
    .option('--variable <K=V>', 'set a CI/CD variable (repeatable)', collect)
    .option('--input <name=value>', 'a value for the main file\'s spec:inputs (repeatable)', collect)
    .option('--inputs-file <file>', 'values for the main file\'s spec:inputs from a JSON or YAML file');
}
