/** The "Examples:" block that ends a command's `--help` (`.addHelpText('after', examples([...]))`). */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
