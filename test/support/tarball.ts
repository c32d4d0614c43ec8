/** Builds a real `.tar.gz` (as GitHub's tarball endpoint serves) from files, with tar-stream and zlib. */
import { gzipSync } from "node:zlib";
import tar from "tar-stream";

export async function makeTarGz(top: string, files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name: `${top}/${name}` }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}
