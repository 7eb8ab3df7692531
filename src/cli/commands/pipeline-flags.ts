// The flags `kiln lint`, `kiln jobs` and `kiln run` share: which file, and the pipeline context (ref, pipeline
// source, variables) rules are evaluated in.
import type { Command } from 'commander';
import type { PipelineFlags } from '../../pipeline/options.js';
import { collect } from '../collect.js';

export type { PipelineFlags };

export function addPipelineFlags(command: Command, o: { dirDefault?: string } = {}): Command {
  return command
    .option('-f, --file <file>', 'pipeline file, relative to the project directory', '.gitlab-ci.yml')
    .option('-C, --dir <dir>', 'project directory (default: current directory)', o.dirDefault)
    .option('--ref <ref>', 'branch or tag the pipeline is for (default: the checked-out one)')
    .option('--tag', 'the ref is a tag')
    .option(
      '--source <source>',
      'CI_PIPELINE_SOURCE: push (default), web, schedule, api, trigger, merge_request_event, ...',
    )
    .option('--default-branch <branch>', 'CI_DEFAULT_BRANCH (default: from git)')
    .option('--target-branch <branch>', 'merge request pipelines: the target branch (default: the default branch)')
    .option(
      '--before-sha <sha>',
      "push pipelines: CI_COMMIT_BEFORE_SHA (default: the branch's upstream); rules:changes compares with it",
    )
    .option(
      '--variable <NAME=VALUE>',
      'set a CI/CD variable (repeatable; highest precedence; values are expanded)',
      collect,
    )
    .option('--variables-file <file>', 'variables from a dotenv or JSON file (repeatable)', collect)
    .option('--input <name=value>', "a value for the main file's spec:inputs (repeatable)", collect)
    .option('--inputs-file <file>', "values for the main file's spec:inputs from a JSON or YAML file");
}
