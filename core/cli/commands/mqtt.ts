import type { Command } from 'commander';
import type { CliContext } from '../context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString().replace(/\r?\n$/, '');
}

const show = (s: Record<string, unknown>) =>
  s.enabled
    ? `MQTT ${s.connected ? 'connected' : 'not connected'} to ${s.url} (prefix ${s.prefix}, discovery ${s.discoveryPrefix}, client ${s.clientId}, from ${s.source})${s.lastError ? `\nlast error: ${s.lastError}` : ''}`
    : `MQTT is off${s.hint ? ` — ${s.hint}` : ''}`;

export function register(program: Command, cli: CliContext): void {
  const mqtt = program.command('mqtt').description('the MQTT bridge (Home Assistant, Node-RED)');
  mqtt
    .command('status', { isDefault: true })
    .description('is the bridge connected, and to which broker')
    .action(async () => {
      try {
        cli.print(await cli.api<Record<string, unknown>>('GET', '/mqtt'), show);
      } catch (e) {
        cli.fail(e);
      }
    });
  mqtt
    .command('set')
    .description('configure the broker (stored in the hub, password encrypted); reconnects at once')
    .option('--url <url>', 'broker URL, e.g. mqtt://homeassistant.lan:1883')
    .option('--username <name>', 'broker user')
    .option('--password-stdin', 'read the broker password from standard input')
    .option('--client-id <id>', 'MQTT client id')
    .option('--prefix <prefix>', 'topic prefix (default warren)')
    .option('--discovery-prefix <prefix>', 'Home Assistant discovery prefix (default homeassistant)')
    .option('--acl <json>', 'which clients may run which actions, e.g. \'{"homeassistant":["start","stop"]}\'')
    .option('--ca <file>', 'CA certificate (PEM file on the hub) for mqtts://')
    .option('--cert <file>', 'client certificate (PEM file on the hub)')
    .option('--key <file>', 'client key (PEM file on the hub)')
    .option('--disable', 'turn MQTT off')
    .action(async (o: { url?: string; username?: string; passwordStdin?: boolean; clientId?: string; prefix?: string; discoveryPrefix?: string; acl?: string; ca?: string; cert?: string; key?: string; disable?: boolean }) => {
      try {
        const body = {
          enabled: !o.disable,
          ...(o.url ? { url: o.url } : {}),
          ...(o.username ? { username: o.username } : {}),
          ...(o.passwordStdin ? { password: await readStdin() } : {}),
          ...(o.clientId ? { clientId: o.clientId } : {}),
          ...(o.prefix ? { prefix: o.prefix } : {}),
          ...(o.discoveryPrefix ? { discoveryPrefix: o.discoveryPrefix } : {}),
          ...(o.acl ? { acl: JSON.parse(o.acl) } : {}),
          ...(o.ca ? { ca: o.ca } : {}),
          ...(o.cert ? { cert: o.cert } : {}),
          ...(o.key ? { key: o.key } : {}),
        };
        cli.print(await cli.api<Record<string, unknown>>('PUT', '/mqtt', body), show);
      } catch (e) {
        cli.fail(e);
      }
    });
}
