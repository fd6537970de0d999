/** Plays a streamed answer as server-sent events, with delays between events and the scripted stream faults. */
import type http from 'node:http';
import type { ScriptedStreamFault } from './script';

/** One server-sent event: `data` is sent as is (JSON text, or `[DONE]`); `delayMs` is waited before it. */
export interface SseStep {
  event?: string;
  data: string;
  delayMs?: number;
}

/**
 * Writes the steps in order as an SSE stream, then ends it. A fault cuts in
 * after `afterEvents` steps: `stall` writes nothing more and leaves the
 * connection open, `end` ends the stream there, `garbage` writes a line that
 * is not JSON and ends. Timers live in `timers` so that closing the server
 * clears them; a client that leaves stops the stream.
 */
export function playSse(
  res: http.ServerResponse,
  steps: SseStep[],
  fault: ScriptedStreamFault | undefined,
  timers: Set<NodeJS.Timeout>,
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  let index = 0;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  const next = (): void => {
    if (closed) return;
    if (fault && index === fault.afterEvents) {
      if (fault.kind === 'stall') return;
      if (fault.kind === 'garbage') res.write('data: {"choices": [ this is not json\n\n');
      res.end();
      return;
    }
    const step = steps[index];
    if (!step) {
      res.end();
      return;
    }
    const write = (): void => {
      if (closed) return;
      res.write(`${step.event ? `event: ${step.event}\n` : ''}data: ${step.data}\n\n`);
      index++;
      next();
    };
    if (!step.delayMs) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      write();
    }, step.delayMs);
    timers.add(timer);
  };
  next();
}
