/** The scripted model: an OpenAI-compatible server that plays back scripted turns, for the demo and the tests. */
export { loadScript } from './script';
export type {
  ScriptedCall,
  ScriptedExpectation,
  ScriptedFault,
  ScriptedReasoning,
  ScriptedStreamFault,
  ScriptedTurn,
  ScriptedUsage,
} from './script';
export type { WireApi } from './answers';
export { encryptedReasoningOf } from './planned-answer';
export { startScriptedModelServer } from './server';
export type { RecordedRequest, ScriptedModelServer, ScriptedModelServerOptions } from './server';
