// A node:test reporter that prints nothing while the run goes and, at the end, one block naming
// every failed test with its file and the first lines of its error. run-tests.mjs adds it beside
// the TAP reporter so that the tail of a long CI log always says what failed.
export default async function* failureSummary(source) {
  const failed = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, details, nesting } = event.data;
    const err = details?.error;
    // A suite fails when a child fails; the children are listed themselves.
    if (err?.failureType === 'subtestsFailed') continue;
    const cause = err?.cause ?? err;
    const text = String(cause?.stack ?? cause?.message ?? cause ?? 'no error recorded');
    failed.push({ name, file, nesting, text: text.split('\n').slice(0, 5).join('\n      ') });
  }
  if (failed.length === 0) return;
  yield `\n# ---- ${failed.length} failed test(s) ----\n`;
  for (const f of failed) {
    yield `# FAILED ${f.file ?? '?'} :: ${f.name}\n#      ${f.text.replace(/\n/g, '\n#')}\n`;
  }
}
