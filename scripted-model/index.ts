/** The scripted model: an OpenAI-compatible server that plays back scripted turns, for the demo and the tests. */
export { loadScript } from './script';
export type { ScriptedCall, ScriptedExpectation, ScriptedFault, ScriptedTurn, ScriptedUsage } from './script';
export { startScriptedModelServer } from './server';
export type { RecordedRequest, ScriptedModelServer, ScriptedModelServerOptions } from './server';
