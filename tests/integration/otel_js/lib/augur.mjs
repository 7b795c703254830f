// Starts and stops an Augur process on free loopback ports, and reads its API and /metrics.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
export const AUGUR_BIN =
  process.env.AUGUR_BIN ?? path.resolve(here, '..', '..', '..', '..', 'build', 'augur');

const LISTENING =
  /^augur listening otlp_grpc=(\S+):(\d+) otlp_http=(\S+):(\d+) api=(\S+):(\d+)$/m;

// Every Augur this process started, killed if the test process exits without stopping them, and
// the data directories they wrote, removed.
const running = new Set();
const dataDirs = [];
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

// Starts `augur run` with the given extra `--set key=value` overrides. Resolves when it printed its
// listening line. The returned object accumulates stdout and stderr for diagnostics.
export async function startAugur({ sets = [], shards = 2, extraArgs = [] } = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'augur-js-'));
  dataDirs.push(dataDir);
  const args = [
    'run',
    '--otlp-grpc-endpoint', '127.0.0.1:0',
    '--otlp-http-endpoint', '127.0.0.1:0',
    '--api-endpoint', '127.0.0.1:0',
    '--shards', String(shards),
    '--set', 'pipeline.flush_interval=100ms',
    '--set', 'pipeline.idle_expiry=1s',
    '--set', `storage.path=${dataDir}`,
    ...sets.flatMap((s) => ['--set', s]),
    ...extraArgs,
  ];
  const child = spawn(AUGUR_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const augur = {
    child,
    stdout: '',
    stderr: '',
    exited: null, // {code, signal} once the process ended
  };
  augur.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      augur.exited = { code, signal };
      resolve(augur.exited);
    });
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (augur.stderr += d));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`augur did not print its listening line in 10 s:\n${augur.stdout}\n${augur.stderr}`)),
      10_000,
    );
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${AUGUR_BIN}: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`augur exited (code ${code}, signal ${signal}) before listening:\n${augur.stdout}\n${augur.stderr}`));
    });
    child.stdout.on('data', (d) => {
      augur.stdout += d;
      const m = LISTENING.exec(augur.stdout);
      if (m && !augur.grpcPort) {
        clearTimeout(timer);
        augur.grpcPort = Number(m[2]);
        augur.httpPort = Number(m[4]);
        augur.apiPort = Number(m[6]);
        resolve();
      }
    });
  });
  augur.otlpHttp = `http://127.0.0.1:${augur.httpPort}`;
  augur.otlpGrpc = `127.0.0.1:${augur.grpcPort}`;
  augur.api = `http://127.0.0.1:${augur.apiPort}`;
  augur.alive = () => augur.exited === null;
  return augur;
}

// SIGTERM, then waits up to `timeoutMs` for the exit. Returns {code, signal, timedOut}; a process
// that did not exit in time is killed with SIGKILL.
export async function stopAugur(augur, timeoutMs = 10_000) {
  if (augur.exited) return { ...augur.exited, timedOut: false };
  augur.child.kill('SIGTERM');
  let timer;
  const result = await Promise.race([
    augur.exitPromise,
    new Promise((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (result === null) {
    augur.child.kill('SIGKILL');
    await augur.exitPromise;
    return { ...augur.exited, timedOut: true };
  }
  return { ...result, timedOut: false };
}

export async function getJson(augur, apiPath) {
  const res = await fetch(augur.api + apiPath);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${apiPath}: ${res.status} ${body}`);
  const json = JSON.parse(body);
  if (json.status !== 'success') throw new Error(`GET ${apiPath}: ${body}`);
  return json.data;
}

export async function getMetricsText(augur, accept) {
  const res = await fetch(augur.api + '/metrics', accept ? { headers: { Accept: accept } } : {});
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${body}`);
  return { contentType: res.headers.get('content-type'), body };
}

// Parses Prometheus text exposition into [{name, labels: {..}, value: number, line}].
export function parseExposition(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    let i = 0;
    while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
    const name = line.slice(0, i);
    const labels = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const eq = line.indexOf('=', i);
        const key = line.slice(i, eq).trim();
        i = eq + 2; // skip ="
        let value = '';
        while (line[i] !== '"') {
          if (line[i] === '\\') {
            const c = line[i + 1];
            value += c === 'n' ? '\n' : c;
            i += 2;
          } else {
            value += line[i++];
          }
        }
        i++; // closing quote
        labels[key] = value;
        if (line[i] === ',') i++;
      }
      i++; // }
    }
    const rest = line.slice(i).trim().split(/\s+/);
    samples.push({ name, labels, value: Number(rest[0]), line });
  }
  return samples;
}

// Label sets compare as Prometheus does: a label with an empty value is the same as no label.
function sameLabels(a, b) {
  const present = (labels) => Object.keys(labels).filter((k) => labels[k] !== '');
  const ka = present(a);
  return ka.length === present(b).length && ka.every((k) => a[k] === b[k]);
}

// The value of the sample with exactly this name and label set, or undefined.
export function sampleValue(samples, name, labels = {}) {
  const found = samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
  if (found.length > 1) throw new Error(`duplicate sample ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

// All samples of a family whose labels include `labels`.
export function samplesOf(samples, name, labels = {}) {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

// Runs `check` (which throws on mismatch) every `intervalMs` until it passes or `timeoutMs` ran
// out, then rethrows its last error. The pipeline is asynchronous: exports are acknowledged before
// the numbers reach the API. Once it passed, it runs once more after `settleMs` so that a count
// which overshoots right after being right is caught too.
export async function eventually(check, { timeoutMs = 15_000, intervalMs = 100, settleMs = 300 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const result = await check();
      if (settleMs > 0) {
        await sleep(settleMs);
        return await check();
      }
      return result;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) throw lastError;
    await sleep(intervalMs);
  }
}

// Wraps exporter.export so every export result (traces, metrics or logs) is recorded, with the
// number of items it carried as counted by `countItems`.
export function recordExports(exporter, countItems) {
  const results = [];
  const original = exporter.export.bind(exporter);
  exporter.export = (items, callback) =>
    original(items, (result) => {
      results.push({ code: result.code, error: result.error, items: countItems(items) });
      callback(result);
    });
  return results;
}
