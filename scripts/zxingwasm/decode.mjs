// Decodes image files with zxing-cpp 2.x (the zxing-wasm package, its wasm
// binary read from node_modules: no network) and prints one JSON line per
// file: {"path", "texts": [...], "bytes": [base64...], "corners": [[x,y]×4...],
// "ms"} (corners top-left, top-right, bottom-right, bottom-left). ms is the
// median of REPS reads of the file's bytes (PNG/JPEG decoding included,
// Node's start-up and the wasm instantiation excluded).
//
// usage: node decode.mjs [--reps N] FILE...   (or file names on stdin, one a line)
// A measuring tool for make bench only: hcscan never runs it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { prepareZXingModule, readBarcodes } from "zxing-wasm/reader";

const require = createRequire(import.meta.url);
const wasmPath = require.resolve("zxing-wasm/reader/zxing_reader.wasm");
await prepareZXingModule({
  overrides: { wasmBinary: readFileSync(wasmPath) },
  fireImmediately: true,
});

const args = process.argv.slice(2);
let reps = 1;
if (args[0] === "--reps") {
  reps = Math.max(1, parseInt(args[1], 10) || 1);
  args.splice(0, 2);
}
let files = args;
if (files.length === 0) {
  files = readFileSync(0, "utf8").split("\n").filter((l) => l !== "");
}

const options = {
  formats: ["QRCode"],
  tryHarder: true,
  tryRotate: true,
  tryInvert: true,
  tryDownscale: true,
  maxNumberOfSymbols: 255,
  textMode: "Plain",
};

for (const path of files) {
  const data = new Uint8Array(readFileSync(path));
  let results = [];
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    results = await readBarcodes(data, options);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const valid = results.filter((r) => r.isValid);
  process.stdout.write(
    JSON.stringify({
      path,
      texts: valid.map((r) => r.text),
      bytes: valid.map((r) => Buffer.from(r.bytes).toString("base64")),
      corners: valid.map((r) =>
        ["topLeft", "topRight", "bottomRight", "bottomLeft"].map((k) => [r.position[k].x, r.position[k].y]),
      ),
      ms: times[Math.floor(times.length / 2)],
    }) + "\n",
  );
}
