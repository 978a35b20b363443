// node parse.mjs FILE...: parse each Mermaid file with mermaid's own parser; one line per file, exit 1 on any error.
import fs from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.DOMParser = dom.window.DOMParser;
globalThis.Element = dom.window.Element;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const result = await mermaid.parse(fs.readFileSync(file, "utf8"));
    console.log(`${file}: ok ${result.diagramType}`);
  } catch (error) {
    failed += 1;
    console.log(`${file}: error ${String(error.message || error).replace(/\s+/g, " ").slice(0, 400)}`);
  }
}
process.exit(failed ? 1 : 0);
