// Migrations live in code, not in files found at runtime, so that they survive bundling into one file.
// Append new migrations; never edit one that has shipped. Every `down` really undoes its `up`.
// Conventions: timestamps are epoch milliseconds in bigint columns; JSON is text serialised by the
// repositories (identical on SQLite and Postgres); booleans are real booleans (0/1 in SQLite).
import type { Knex } from 'knex';

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const initialSchema: Migration = {
  name: '0001-initial-schema',
  async up(knex) {
    await knex.schema.createTable('devices', (t) => {
      t.string('id').primary();
      t.string('name').notNullable().unique();
      t.text('connection').notNullable();
      t.string('engine');
      t.string('arch');
      t.text('labels').notNullable();
      t.text('reserve').notNullable();
      t.boolean('cordoned').notNullable().defaultTo(false);
      t.string('state').notNullable();
      t.text('state_reason');
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await knex.schema.createTable('secrets', (t) => {
      t.string('id').primary();
      t.string('key_id', 16).notNullable();
      t.text('ciphertext').notNullable();
      t.string('nonce', 32).notNullable();
      t.bigInteger('created_at').notNullable();
    });
    await knex.schema.createTable('provider_instances', (t) => {
      t.string('id').primary();
      t.string('plugin').notNullable();
      t.string('provider').notNullable();
      t.text('config').notNullable();
      t.string('secret_ref');
      t.integer('config_version').notNullable();
      t.string('state').notNullable();
      t.text('state_message');
      t.boolean('enabled').notNullable().defaultTo(true);
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await knex.schema.createTable('metric_samples', (t) => {
      t.string('device').notNullable().references('id').inTable('devices').onDelete('CASCADE');
      t.string('metric').notNullable();
      t.double('value').notNullable();
      t.bigInteger('at').notNullable();
      t.index(['device', 'metric', 'at'], 'metric_samples_device_metric_at');
      t.index(['at'], 'metric_samples_at');
    });
    await knex.schema.createTable('apps', (t) => {
      t.string('id').primary();
      t.string('catalog_id').notNullable();
      t.string('catalog_version').notNullable();
      t.string('device').references('id').inTable('devices').onDelete('RESTRICT');
      t.string('status').notNullable();
      t.text('inputs').notNullable();
      t.string('secrets_ref');
      t.string('project').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.index(['device']);
    });
    await knex.schema.createTable('db_servers', (t) => {
      t.string('id').primary();
      t.string('device').notNullable().references('id').inTable('devices').onDelete('RESTRICT');
      t.string('engine').notNullable();
      t.string('version');
      t.string('container');
      t.string('admin_secret_ref');
      t.string('mode').notNullable();
      t.string('app').references('id').inTable('apps').onDelete('RESTRICT');
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.index(['device', 'engine']);
    });
    await knex.schema.createTable('db_grants', (t) => {
      t.string('app').notNullable().references('id').inTable('apps').onDelete('RESTRICT');
      t.string('ref').notNullable();
      t.string('server').notNullable().references('id').inTable('db_servers').onDelete('RESTRICT');
      t.string('database').notNullable();
      t.string('username').notNullable();
      t.string('secret_ref');
      t.text('isolation').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.primary(['app', 'ref']);
      t.index(['server']);
    });
    await knex.schema.createTable('operations', (t) => {
      t.string('id').primary();
      t.string('kind').notNullable();
      t.string('target').notNullable();
      t.string('state').notNullable();
      t.text('steps').notNullable();
      t.integer('current_step');
      t.text('error');
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.index(['state']);
      t.index(['target']);
    });
    await knex.schema.createTable('users', (t) => {
      t.string('id').primary();
      t.string('username').notNullable().unique();
      t.text('password_hash').notNullable();
      t.bigInteger('created_at').notNullable();
    });
    await knex.schema.createTable('api_tokens', (t) => {
      t.string('id').primary();
      t.string('name').notNullable();
      t.string('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
      t.string('token_hash').notNullable().unique();
      t.string('prefix').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('last_used_at');
    });
    await knex.schema.createTable('sessions', (t) => {
      t.string('id_hash').primary();
      t.string('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
      t.bigInteger('expires_at').notNullable();
      t.index(['expires_at']);
    });
    await knex.schema.createTable('setup_tokens', (t) => {
      t.string('token_hash').primary();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('used_at');
    });
    await knex.schema.createTable('events', (t) => {
      t.increments('id');
      t.bigInteger('at').notNullable();
      t.string('domain').notNullable();
      t.string('type').notNullable();
      t.text('payload').notNullable();
    });
    await knex.schema.createTable('kv', (t) => {
      t.string('namespace').notNullable();
      t.string('key').notNullable();
      t.text('value').notNullable();
      t.primary(['namespace', 'key']);
    });
  },
  async down(knex) {
    for (const table of [
      'kv',
      'events',
      'setup_tokens',
      'sessions',
      'api_tokens',
      'users',
      'operations',
      'db_grants',
      'db_servers',
      'apps',
      'metric_samples',
      'provider_instances',
      'secrets',
      'devices',
    ]) {
      await knex.schema.dropTable(table);
    }
  },
};

export const migrations: readonly Migration[] = [initialSchema];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};
