import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Who may read a key file, as its platform says it: POSIX mode bits, or on Windows (where mode
 * bits mean nothing: Node reports 0666 or 0444 for every file) its security descriptor in SDDL,
 * the owner and the access control list.
 */
export type KeyFileAccess =
  | { readonly platform: 'posix'; readonly mode: number }
  | { readonly platform: 'win32'; readonly sddl: string };

/**
 * SIDs, besides the owner's, that may hold access to a key file on Windows (as OpenSSH asks of a
 * private key): SYSTEM, Administrators, OWNER RIGHTS, as SDDL aliases or SIDs.
 */
const WINDOWS_TRUSTED = new Set(['SY', 'S-1-5-18', 'BA', 'S-1-5-32-544', 'OW', 'S-1-3-4']);

/** Names of the well-known SIDs a message may name (SDDL aliases, as Get-Acl writes them). */
const WINDOWS_NAMES: Record<string, string> = {
  WD: 'Everyone',
  AU: 'Authenticated Users',
  BU: 'Users',
  BG: 'Guests',
  AN: 'Anonymous',
  NU: 'Network',
  IU: 'Interactive',
};

/**
 * Why a key file must not be used (null: only its owner can read it). POSIX: no bit for group
 * or others (`chmod 600`). Windows: every access its ACL allows is for the file's owner, SYSTEM
 * or Administrators (an inherited `Users` or `Everyone` entry is refused); a descriptor without
 * an ACL (a null DACL: everyone has full access) is refused too. Pure: the caller reads the access.
 *
 * @example
 * keyFileProblem({ platform: 'posix', mode: 0o100644 }); // 'readable by group or others (mode 644); run chmod 600 on it'
 */
export function keyFileProblem(access: KeyFileAccess): string | null {
  if (access.platform === 'posix') {
    const mode = access.mode;
    return (mode & 0o077) === 0
      ? null
      : `readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`;
  }
  const sddl = access.sddl;
  const fix = 'run icacls on it with /inheritance:r /grant:r "%USERNAME%:F"';
  // Stryker disable next-line Regex: equivalent, Get-Acl's SDDL starts with its owner (O:), then G: and D:; without them it is refused either way
  const owner = /^O:([^:()]+?)(?=[GDS]:|$)/.exec(sddl)?.[1];
  const dacl = /D:([^:]*?)(?=S:|$)/.exec(sddl)?.[1];
  if (owner === undefined || dacl === undefined || !dacl.includes('('))
    return `its access control list allows everyone or cannot be read (SDDL ${sddl}); ${fix}`;
  const others = new Set<string>();
  for (const [, ace] of dacl.matchAll(/\(([^)]*)\)/g)) {
    const [type, flags, , , , sid] = ace!.split(';');
    // An allow entry that applies to the file itself (not only to what a folder would hold).
    if (type !== 'A' || flags!.includes('IO')) continue;
    if (sid === owner || WINDOWS_TRUSTED.has(sid!)) continue;
    others.add(WINDOWS_NAMES[sid!] ?? sid!);
  }
  return others.size === 0
    ? null
    : `readable by ${[...others].join(', ')} (its access control list); ${fix}`;
}

// Stryker disable all: Windows only (PowerShell and icacls); the rule they feed is `keyFileProblem`
/** A file's security descriptor in SDDL, from PowerShell's Get-Acl (Windows). */
export async function windowsSddl(file: string): Promise<string> {
  // A single-quoted PowerShell string expands nothing; a quote in it is doubled.
  const literal = `'${file.replaceAll("'", "''")}'`;
  const { stdout } = await promisify(execFile)(
    'powershell.exe',
    ['-NoProfile', '-NonInteractive', '-Command', `(Get-Acl -LiteralPath ${literal}).Sddl`],
    { windowsHide: true },
  );
  return stdout.trim();
}

/**
 * Makes a folder this process just created its owner's alone (Windows): inherited entries
 * removed, full control for the owner, inherited by the files made in it (the key files).
 */
export async function restrictWindowsFolder(dir: string): Promise<void> {
  const owner = /^O:([^:()]+?)(?=[GDS]:|$)/.exec(await windowsSddl(dir))?.[1];
  if (owner === undefined) return;
  // icacls takes a SID, not an SDDL alias (an elevated process's files are owned by BA).
  const sid = ({ BA: 'S-1-5-32-544', SY: 'S-1-5-18' } as Record<string, string>)[owner] ?? owner;
  await promisify(execFile)('icacls', [dir, '/inheritance:r', '/grant:r', `*${sid}:(OI)(CI)F`], {
    windowsHide: true,
  });
}
// Stryker restore all
