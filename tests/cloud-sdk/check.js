// SAP Cloud SDK judges the fake Cloud ALM: a client is generated from the $metadata ato-sim serves
// (SAP's OData client generator, as a user of the Features API would run it), and the generated
// client runs list, filter, count, get by key, create, update, expand, assign and deploy, with
// tokens from the SDK's own destination flow over the service key (client secret or X.509).
// Run by tests/integration/sim_features_sdk_test.cpp; prints "ok <step>" per step, exits 1 on the
// first failure with what the SDK said.
//
// usage: node check.js <service-key.json> <features-api-root-url> <work-dir> [token-only]
'use strict';
const fs = require('fs');
const path = require('path');

const [keyFile, apiRoot, workDir, mode] = process.argv.slice(2);
if (!keyFile || !apiRoot || !workDir) {
  console.error('usage: node check.js <service-key.json> <features-api-root-url> <work-dir> [token-only]');
  process.exit(2);
}

function step(name) {
  console.log(`ok ${name}`);
}

function fail(what, error) {
  const cause = error && (error.rootCause || error.cause || error);
  const status = cause && cause.response ? ` (HTTP ${cause.response.status}: ${JSON.stringify(cause.response.data)})` : '';
  console.error(`FAILED ${what}: ${error && error.message}${status}`);
  if (error && error.cause && error.cause.message) console.error(`  cause: ${error.cause.message}`);
  process.exit(1);
}

async function expectFailure(what, promise, status) {
  try {
    await promise;
  } catch (error) {
    const cause = error.rootCause || error.cause || error;
    const got = cause && cause.response && cause.response.status;
    if (got === status) return step(what);
    fail(`${what}: expected HTTP ${status}, got ${got}`, error);
  }
  fail(`${what}: expected HTTP ${status}, the request succeeded`);
}

// The SDK's client-credentials flow from a service binding: @sap/xssec asks the XSUAA of the key
// for a token (with the client secret, or with the key's certificate at its certurl).
async function destinationFromServiceKey() {
  const { transformServiceBindingToClientCredentialsDestination } = require('@sap-cloud-sdk/connectivity');
  const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  const binding = { name: 'cloud-alm', label: 'xsuaa', tags: ['xsuaa'], credentials: key.uaa };
  return transformServiceBindingToClientCredentialsDestination(binding, { url: apiRoot, useCache: false });
}

// SAP's generator on the served $metadata, then the generated TypeScript compiled to CommonJS.
async function generateClient(destination) {
  const { executeHttpRequest } = require('@sap-cloud-sdk/http-client');
  const metadata = await executeHttpRequest(destination, { method: 'get', url: '/$metadata' });
  const input = path.join(workDir, 'edmx');
  const output = path.join(workDir, 'generated');
  fs.mkdirSync(input, { recursive: true });
  fs.writeFileSync(path.join(input, 'features.edmx'), metadata.data);
  const { generate } = require('@sap-cloud-sdk/generator');
  await generate({ input, outputDir: output, skipValidation: true, overwrite: true, transpile: false, verbose: false });
  const ts = require('typescript');
  const serviceDir = path.join(output, 'features');
  for (const file of fs.readdirSync(serviceDir).filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts'))) {
    const source = fs.readFileSync(path.join(serviceDir, file), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021 } });
    fs.writeFileSync(path.join(serviceDir, file.replace(/\.ts$/, '.js')), js.outputText);
  }
  return require(path.join(serviceDir, 'index.js'));
}

async function main() {
  let destination;
  try {
    destination = await destinationFromServiceKey();
  } catch (error) {
    fail('token through the SDK destination flow', error);
  }
  if (!destination.authTokens || !destination.authTokens.length || !destination.authTokens[0].value)
    fail('token through the SDK destination flow: no token in the destination');
  step('token');
  let service;
  try {
    service = await generateClient(destination);
  } catch (error) {
    fail('generate a client from $metadata', error);
  }
  step('generate');
  // The generated service, named after the EDMX file: features().
  const { featuresApi, transportsApi, transportReferencesApi, featureStatusApi, externalReferencesApi } =
    service.features();

  try {
    const transports = await transportsApi.requestBuilder().getAll().top(50).execute(destination);
    if (mode === 'token-only') return step('list');
    if (transports.length < 2) fail(`list Transports: expected at least 2 released transports, got ${transports.length}`);
    step('list');

    const released = transports.filter(t => t.status === 'Released');
    const { or, and } = require('@sap-cloud-sdk/odata-v4');
    const filtered = await transportsApi
      .requestBuilder()
      .getAll()
      .filter(or(transportsApi.schema.STATUS.equals('Released'), transportsApi.schema.STATUS.equals('Modifiable')))
      .execute(destination);
    if (filtered.length !== released.length) fail(`filter: ${filtered.length} transports, expected ${released.length}`);
    const none = await transportsApi
      .requestBuilder()
      .getAll()
      .filter(and(transportsApi.schema.STATUS.equals('Released'), transportsApi.schema.STATUS.notEquals('Released')))
      .execute(destination);
    if (none.length !== 0) fail(`filter: a contradiction matched ${none.length}`);
    step('filter');

    const count = await transportsApi.requestBuilder().getAll().count().execute(destination);
    if (count !== transports.length) fail(`count: ${count}, expected ${transports.length}`);
    step('count');

    const statuses = await featureStatusApi.requestBuilder().getAll().execute(destination);
    if (!statuses.some(s => s.code === 'READY_FOR_PRODUCTION')) fail('FeatureStatus lists no READY_FOR_PRODUCTION');

    const draft = featuresApi
      .entityBuilder()
      .title('Refunds via the SDK')
      .projectId('P-1')
      .priorityCode(20)
      .tags(['sdk', 'refunds'])
      .build();
    const created = await featuresApi.requestBuilder().create(draft).execute(destination);
    if (!created.uuid || created.displayId === undefined || created.priorityCode !== 20)
      fail(`create: unexpected answer ${JSON.stringify(created)}`);
    step('create');

    const read = await featuresApi.requestBuilder().getByKey(created.uuid).execute(destination);
    if (read.title !== 'Refunds via the SDK' || read.projectId !== 'P-1' || read.tags.join(',') !== 'sdk,refunds')
      fail(`get by key: ${JSON.stringify(read)}`);
    step('get by key');

    read.statusCode = 'IN_IMPLEMENTATION';
    await featuresApi.requestBuilder().update(read).execute(destination);
    const updated = await featuresApi.requestBuilder().getByKey(created.uuid).execute(destination);
    if (updated.statusCode !== 'IN_IMPLEMENTATION') fail(`update: statusCode is ${updated.statusCode}`);
    step('update');

    if (!released.length) fail('assign: no released transport to assign');
    const reference = transportReferencesApi
      .entityBuilder()
      .featureUuid(created.uuid)
      .transportUuid(released[0].uuid)
      .build();
    await transportReferencesApi.requestBuilder().create(reference).execute(destination);
    const expanded = await featuresApi
      .requestBuilder()
      .getAll()
      .filter(featuresApi.schema.UUID.equals(created.uuid))
      .select(featuresApi.schema.UUID)
      .expand(featuresApi.schema.TRANSPORT_REFERENCES)
      .execute(destination);
    const assigned = expanded[0].transportReferences || [];
    if (assigned.length !== 1 || assigned[0].transportRequest !== released[0].transportRequest)
      fail(`assign: the feature's transportReferences are ${JSON.stringify(assigned)}`);
    await expectFailure(
      'assign twice refused',
      transportReferencesApi
        .requestBuilder()
        .create(transportReferencesApi.entityBuilder().featureUuid(created.uuid).transportUuid(released[0].uuid).build())
        .execute(destination),
      409
    );
    step('assign');

    const external = externalReferencesApi
      .entityBuilder()
      .id('JIRA-7')
      .parentUuid(created.uuid)
      .name('Ticket')
      .url('https://tickets.example/JIRA-7')
      .build();
    await externalReferencesApi.requestBuilder().create(external).execute(destination);
    const ext = await externalReferencesApi.requestBuilder().getByKey('JIRA-7', created.uuid).execute(destination);
    if (ext.name !== 'Ticket') fail(`external reference by composite key: ${JSON.stringify(ext)}`);
    step('external reference');

    const result = await updated.deploy({ targetSystem: 'S4T~100' }).execute(destination);
    if (!result || result.targetSystem !== 'S4T~100' || !result.transportRequests.includes(released[0].transportRequest))
      fail(`deploy: answer ${JSON.stringify(result)}`);
    const after = await featuresApi.requestBuilder().getByKey(created.uuid).execute(destination);
    if (after.statusCode !== 'IN_TESTING') fail(`deploy: the feature is ${after.statusCode}, expected IN_TESTING`);
    step('deploy');

    // The second bound action: Cloud ALM has the development tenant create a transport for the feature.
    const made = await updated.createTransport({ sourceSystem: 'S4D~080', description: 'From the SDK' }).execute(destination);
    if (!made || made.status !== 'Modifiable' || !/^S4DK9\d{5}$/.test(made.transportRequest))
      fail(`createTransport: answer ${JSON.stringify(made)}`);
    const listed = await transportsApi.requestBuilder().getByKey(made.transportUuid).execute(destination);
    if (listed.status !== 'Modifiable' || listed.featureUuid !== created.uuid)
      fail(`createTransport: the transport reads ${JSON.stringify(listed)}`);
    step('create transport');
  } catch (error) {
    fail('Features API call', error);
  }
}

main().catch(error => fail('check', error));
