import { parentPort, workerData } from 'node:worker_threads';
import { WorkerHost } from './host.js';
import { type FromWorker, PROTOCOL_VERSION, type ToWorker, type WorkerSetup } from './protocol.js';

// The logger's worker thread: started by the serving thread with a WorkerSetup as workerData.
const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error('express-privacy-log: the worker entry runs only as a worker');
if (setup?.protocol !== PROTOCOL_VERSION) {
  // A worker file from another build of the package: refuse rather than misread the batches.
  throw new Error(
    `express-privacy-log: worker protocol ${String(setup?.protocol)} is not ${PROTOCOL_VERSION}; rebuild the package`,
  );
}
const host = new WorkerHost(setup, (message: FromWorker) => port.postMessage(message));
port.on('message', (message: ToWorker) => host.receive(message));
void host.start();
