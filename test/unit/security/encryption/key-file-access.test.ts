import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { keyFileProblem } from '../../../../src/security/encryption/key-file-access.js';
import { readSecret } from '../../../../src/security/encryption/secret-file.js';
import { tempDir } from '../../../support/temp-dir.js';

// Who may read a key file: POSIX mode bits; on Windows (where Node's mode bits mean nothing)
// the file's ACL, as Get-Acl gives it in SDDL. The platform is injected: these run anywhere.

const ME = 'S-1-5-21-1004336348-1177238915-682003330-1001';
const OTHER = 'S-1-5-21-1004336348-1177238915-682003330-1002';
const win = (dacl: string, owner = ME) => ({
  platform: 'win32' as const,
  sddl: `O:${owner}G:S-1-5-21-1004336348-1177238915-682003330-513D:${dacl}`,
});
const FIX = 'run icacls on it with /inheritance:r /grant:r "%USERNAME%:F"';

describe('keyFileProblem', () => {
  it('on POSIX: refuses any bit for group or others, naming the mode (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0o7777 }), (bits) => {
        const problem = keyFileProblem({ platform: 'posix', mode: 0o100000 | bits });
        expect(problem).toBe(
          (bits & 0o077) === 0
            ? null
            : `readable by group or others (mode ${(bits & 0o777).toString(8)}); run chmod 600 on it`,
        );
      }),
    );
  });

  it('on Windows: takes a file only its owner, SYSTEM and Administrators may open, whatever its mode bits say', () => {
    expect(keyFileProblem(win(`PAI(A;;FA;;;${ME})`))).toBeNull();
    expect(keyFileProblem(win(`PAI(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;${ME})`))).toBeNull();
    // An elevated process owns its files as Administrators.
    expect(keyFileProblem(win('PAI(A;;FA;;;SY)(A;;FA;;;BA)', 'BA'))).toBeNull();
    // A deny entry, and an entry only a folder's children inherit, give nobody the file.
    expect(keyFileProblem(win(`PAI(D;;FA;;;WD)(A;OICIIO;GA;;;BU)(A;;FA;;;${ME})`))).toBeNull();
  });

  it('on Windows: refuses a file another principal may open, naming each, and one without an ACL', () => {
    // What a file made under C:\kairos inherits: Users may read it.
    expect(
      keyFileProblem(win(`AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)(A;ID;FA;;;${ME})`)),
    ).toBe(`readable by Users (its access control list); ${FIX}`);
    expect(keyFileProblem(win(`PAI(A;;FR;;;WD)(A;;FA;;;${OTHER})(A;;FA;;;${ME})`))).toBe(
      `readable by Everyone, ${OTHER} (its access control list); ${FIX}`,
    );
    // Well-known principals by name, any other by its SID.
    const names = {
      WD: 'Everyone',
      AU: 'Authenticated Users',
      BU: 'Users',
      BG: 'Guests',
      AN: 'Anonymous',
      NU: 'Network',
      IU: 'Interactive',
      'S-1-5-32-545': 'S-1-5-32-545',
    };
    for (const [sid, name] of Object.entries(names))
      expect(keyFileProblem(win(`PAI(A;;FR;;;${sid})(A;;FA;;;${ME})`))).toBe(
        `readable by ${name} (its access control list); ${FIX}`,
      );
    // A null DACL lets everyone in; a descriptor without an owner cannot be judged.
    const open = 'O:BAG:SYD:NO_ACCESS_CONTROL';
    expect(keyFileProblem({ platform: 'win32', sddl: open })).toBe(
      `its access control list allows everyone or cannot be read (SDDL ${open}); ${FIX}`,
    );
    expect(keyFileProblem({ platform: 'win32', sddl: `D:PAI(A;;FA;;;${ME})` })).toMatch(
      /cannot be read/,
    );
  });

  it('on Windows: refuses exactly the files whose allow entries name someone else (property)', () => {
    const trusted = [ME, 'SY', 'BA', 'S-1-5-18', 'S-1-5-32-544', 'OW', 'S-1-3-4'];
    const untrusted = ['WD', 'BU', 'AU', OTHER];
    const ace = fc.record({
      type: fc.constantFrom('A', 'D'),
      flags: fc.constantFrom('', 'ID', 'OICI', 'OICIIO', 'OICIID'),
      sid: fc.constantFrom(...trusted, ...untrusted),
    });
    fc.assert(
      fc.property(fc.array(ace, { minLength: 1, maxLength: 6 }), (aces) => {
        const dacl = `PAI${aces.map((a) => `(${a.type};${a.flags};FA;;;${a.sid})`).join('')}`;
        const open = aces.some(
          (a) => a.type === 'A' && !a.flags.includes('IO') && untrusted.includes(a.sid),
        );
        expect(keyFileProblem(win(dacl)) !== null).toBe(open);
      }),
    );
  });
});

describe('readSecret on Windows (platform injected)', () => {
  const keyFile = async (mode: number) => {
    const dir = tempDir('kairos-keyacl-');
    const file = path.join(dir, 'master.key');
    const bytes = randomBytes(32);
    await writeFile(file, bytes, { mode });
    return { file, bytes };
  };

  it('reads a key only its owner may open, though its mode bits say 0644', async () => {
    const { file, bytes } = await keyFile(0o644);
    const sddl = async () => win(`PAI(A;;FA;;;SY)(A;;FA;;;${ME})`).sddl;
    expect(await readSecret(file, { platform: 'win32', sddl })).toEqual(bytes);
  });

  it('refuses a key Users may open, though its mode bits say 0600, and one whose ACL cannot be read', async () => {
    const { file } = await keyFile(0o600);
    const sddl = async () => win(`AI(A;ID;0x1200a9;;;BU)(A;ID;FA;;;${ME})`).sddl;
    await expect(readSecret(file, { platform: 'win32', sddl })).rejects.toMatchObject({
      code: 'KEY_FILE_INSECURE',
      message: `${file}: readable by Users (its access control list); ${FIX}`,
    });
    const broken = async (): Promise<string> => {
      throw new Error('powershell.exe: not found');
    };
    await expect(readSecret(file, { platform: 'win32', sddl: broken })).rejects.toMatchObject({
      code: 'KEY_FILE_INVALID',
      message: `${file}: its access control list could not be read: powershell.exe: not found`,
      cause: { message: 'powershell.exe: not found' },
    });
  });
});
