/**
 * A real Dovecot (IMAP + LMTP) for the email channel's tests: its own config in a temp
 * folder, loopback ports picked free, users in a passwd-file, mail in Maildirs. It runs as
 * the current user; as root (CI), Dovecot refuses to deliver mail to root, so the
 * mailboxes belong to `nobody` (65534) and the temp folder is opened for it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const DOVECOT_MISSING = 'Dovecot is not installed: apt-get install dovecot-imapd dovecot-lmtpd';

/** A mailbox on the test Dovecot. */
export interface DovecotUser {
  address: string;
  password: string;
}

export interface TestDovecot {
  host: string;
  imapPort: number;
  lmtpPort: number;
  /** Dovecot's own log, for failure messages. */
  log(): string;
  /** Cuts every IMAP connection of a user (doveadm kick), as a server restart would. */
  kick(user: string): void;
  stop(): Promise<void>;
}

function dovecotBinary(): string {
  for (const candidate of ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot']) if (fs.existsSync(candidate)) return candidate;
  const found = spawnSync('sh', ['-c', 'command -v dovecot'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  throw new Error(DOVECOT_MISSING);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function groupName(gid: number): string {
  const found = spawnSync('getent', ['group', String(gid)], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.split(':', 1)[0]! : String(gid);
}

export async function startTestDovecot(users: readonly DovecotUser[]): Promise<TestDovecot> {
  const binary = dovecotBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidesk-dovecot-'));
  const isRoot = process.getuid?.() === 0;
  const me = os.userInfo();
  const mailUid = isRoot ? 65534 : me.uid;
  const mailGid = isRoot ? 65534 : me.gid;
  const [imapPort, lmtpPort] = [await freePort(), await freePort()];
  const mailRoot = path.join(dir, 'mail');
  for (const sub of ['run', 'state', 'mail']) fs.mkdirSync(path.join(dir, sub));
  if (isRoot) {
    fs.chmodSync(dir, 0o755);
    fs.chownSync(mailRoot, mailUid, mailGid);
  }
  fs.writeFileSync(
    path.join(dir, 'passwd'),
    users.map((user) => `${user.address}:{PLAIN}${user.password}:${String(mailUid)}:${String(mailGid)}::${path.join(mailRoot, user.address)}::\n`).join(''),
  );
  // Dovecot's login process refuses to run as root; as root everything unprivileged runs as nobody.
  const serviceUser = isRoot ? spawnSync('id', ['-nu', '65534'], { encoding: 'utf8' }).stdout.trim() || 'nobody' : me.username;
  const serviceGroup = groupName(isRoot ? 65534 : me.gid);
  const logFile = path.join(dir, 'dovecot.log');
  fs.writeFileSync(
    path.join(dir, 'dovecot.conf'),
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${logFile}
info_log_path = ${logFile}
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${serviceUser}
default_internal_group = ${serviceGroup}
default_login_user = ${serviceUser}
first_valid_uid = ${String(mailUid)}
first_valid_gid = ${String(mailGid)}
mail_location = maildir:~/Maildir
# Where inotify cannot reach (containers), IDLE falls back to polling; keep that quick.
mailbox_idle_check_interval = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${String(imapPort)}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${String(lmtpPort)}
  }
}
`,
  );

  const output: string[] = [];
  const child: ChildProcess = spawn(binary, ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => `${output.join('')}${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) {
      const reason = log();
      await stop();
      throw new Error(`Dovecot exited at start:\n${reason}`);
    }
    if ((await accepts(imapPort)) && (await accepts(lmtpPort))) break;
    if (attempt > 200) {
      const reason = log();
      await stop();
      throw new Error(`Dovecot did not listen on ${String(imapPort)}/${String(lmtpPort)} within 10 s:\n${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const kick = (user: string) => {
    const doveadm = path.join(path.dirname(binary), '..', 'bin', 'doveadm');
    const result = spawnSync(fs.existsSync(doveadm) ? doveadm : 'doveadm', ['-c', path.join(dir, 'dovecot.conf'), 'kick', user], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`doveadm kick ${user} failed: ${String(result.stderr || result.error?.message)}`);
  };
  return { host: '127.0.0.1', imapPort, lmtpPort, log, kick, stop };
}
