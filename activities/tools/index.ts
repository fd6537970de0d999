export type { Tool, ToolContext, ToolOutcome } from './tool';
export { ToolArgumentError } from './errors';
export {
  TOOLS,
  FINISH_TOOL_NAME,
  finishToolDefinition,
  parseFinishArgs,
  toolDefinitions,
  findTool,
  runToolCall,
} from './registry';
export type { FinishArgs } from './registry';
export { shell } from './shell';
export type { ShellArgs } from './shell';
export { readFile } from './read-file';
export type { ReadFileArgs } from './read-file';
export { writeFile } from './write-file';
export type { WriteFileArgs } from './write-file';
export { applyPatch } from './apply-patch';
export type { ApplyPatchArgs } from './apply-patch';
export { search } from './search';
export type { SearchArgs } from './search';
export { listFiles } from './list-files';
export type { ListFilesArgs } from './list-files';
