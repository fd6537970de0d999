/** `npm run build`'s last step: writes dist/workflow-bundle.js (see workflow-bundle.ts). */
import { buildWorkflowBundle, prebuiltWorkflowBundle } from './workflow-bundle';

const started = Date.now();
const fresh = prebuiltWorkflowBundle();
(fresh ? Promise.resolve(fresh.codePath) : buildWorkflowBundle()).then(
  (file) =>
    process.stderr.write(
      `drydock: workflow bundle ${path(file)} ${fresh ? 'up to date' : `built in ${((Date.now() - started) / 1000).toFixed(1)} s`}\n`,
    ),
  (err: unknown) => {
    process.stderr.write(
      `drydock: bundling the workflows failed: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);

function path(file: string): string {
  return file.replace(`${process.cwd()}/`, '');
}
