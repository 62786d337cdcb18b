// Preloaded (`--import`) into a process a test starts: at exit, writes the process's peak
// resident memory (kB, `process.resourceUsage().maxRSS`) to the file `MAX_RSS_FILE` names.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  writeFileSync(process.env.MAX_RSS_FILE, String(process.resourceUsage().maxRSS));
});
