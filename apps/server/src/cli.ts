/** The `clustr-ai` command line. */
export async function main(_argv: string[]): Promise<void> {
  process.stderr.write("clustr-ai: the launcher is not built yet\n");
  process.exitCode = 1;
}
