import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NacosError } from '../../src/core/errors.js';
import { canPushTo, clientAgent, compareVersions } from '../../src/transport/http/client-agent.js';
import { familyOf, MissingParamError, toErrorResponse } from '../../src/transport/http/errors.js';
import {
  javaDouble,
  javaInt,
  javaSplit,
  lenientBool,
  Params,
  parseMetadata,
  parseUrlEncoded,
  serviceKeyV1,
  serviceKeyV2,
} from '../../src/transport/http/params.js';

test('params: query and form body merge, query first, first value wins, trimmed, blank = absent', () => {
  const body = parseUrlEncoded('ip=10.0.0.1&port=+80+&cluster=c1&ip=10.0.0.2&blank=%20', 'form body');
  const p = Params.from('/x?ip=1.2.3.4&enable=false&serviceName=a%40%40b', body);
  assert.equal(p.get('ip'), '1.2.3.4');
  assert.equal(p.get('port'), '80');
  assert.equal(p.raw('port'), ' 80 ');
  assert.equal(p.get('blank'), undefined);
  assert.equal(p.get('serviceName'), 'a@@b');
  const v = p.view();
  assert.equal(v['enabled'], 'false', 'enable is an alias of enabled');
  assert.equal(v['clusterName'], 'c1', 'cluster is an alias of clusterName');
  assert.equal(Params.of({ enabled: 'true', enable: 'false' }).view()['enabled'], 'true', 'the primary name wins');
});

test('params: malformed percent-encoding is rejected', () => {
  assert.throws(() => parseUrlEncoded('a=%zz', 'form body'), /Malformed form body/);
  assert.throws(() => Params.from('/x?a=%E0%A4%A', undefined), /Malformed query string/);
});

test('params: lenient booleans (ConvertUtils.toBoolean)', () => {
  for (const t of ['true', 'TRUE', 't', 'y', 'Yes', 'on', ' ON ']) assert.equal(lenientBool(t), true, t);
  for (const f of ['false', '1', '0', 'no', 'off', '', 'tru']) assert.equal(lenientBool(f), false, f);
});

test('params: Java number parsing', () => {
  assert.equal(javaInt('8080'), 8080);
  assert.equal(javaInt('+1'), 1);
  assert.equal(javaInt('-5'), -5);
  assert.equal(javaInt('1.0'), null);
  assert.equal(javaInt('abc'), null);
  assert.equal(javaInt('2147483648'), null);
  assert.equal(javaDouble('1'), 1);
  assert.equal(javaDouble('.5'), 0.5);
  assert.equal(javaDouble('2.'), 2);
  assert.equal(javaDouble('1e3'), 1000);
  assert.equal(javaDouble('1.5d'), 1.5);
  assert.equal(javaDouble('-Infinity'), -Infinity);
  assert.ok(Number.isNaN(javaDouble('NaN')));
  assert.equal(javaDouble('abc'), null);
  assert.equal(javaDouble('0x10'), null);
});

test('params: Java split drops trailing empty strings', () => {
  assert.deepEqual(javaSplit('a,b,,', ','), ['a', 'b']);
  assert.deepEqual(javaSplit('@@x', '@@'), ['', 'x']);
  assert.deepEqual(javaSplit('x@@', '@@'), ['x']);
});

test('params: metadata as JSON or k=v (UtilsAndCommons.parseMetadata)', () => {
  assert.deepEqual(parseMetadata('{"a":"1","b":2,"c":true}'), { a: '1', b: '2', c: 'true' });
  assert.deepEqual(parseMetadata('a=1,b=2'), { a: '1', b: '2' });
  assert.deepEqual(parseMetadata('a=1,'), { a: '1' }, 'trailing comma is fine in Java');
  assert.deepEqual(parseMetadata('k=v='), { k: 'v' }, 'Java split drops the trailing empty part');
  assert.deepEqual(parseMetadata(''), {});
  for (const bad of ['a=1,b', 'a', 'k=', 'a=x=y', '{"a":{"b":1}}', '[1]']) {
    assert.throws(() => parseMetadata(bad), (e: unknown) => e instanceof NacosError && e.status === 400 && e.message === `metadata format incorrect:${bad}`, bad);
  }
});

test('params: service names, v1 plain or grouped, v2 bare', () => {
  assert.deepEqual(serviceKeyV1(undefined, 'svc', undefined), { namespace: 'public', group: 'DEFAULT_GROUP', name: 'svc' });
  assert.deepEqual(serviceKeyV1('ns1', 'svc', 'G'), { namespace: 'ns1', group: 'G', name: 'svc' });
  assert.deepEqual(serviceKeyV1(undefined, 'G2@@svc', undefined), { namespace: 'public', group: 'G2', name: 'svc' });
  assert.deepEqual(serviceKeyV1(undefined, 'G2@@svc', 'G2'), { namespace: 'public', group: 'G2', name: 'svc' });
  // A groupName naming another group is refused (docs/auth.md, "Which service a request names").
  assert.throws(() => serviceKeyV1(undefined, 'G2@@svc', 'G'), /its group 'G2' differs from groupName 'G'/);
  assert.throws(() => serviceKeyV1(undefined, '@@svc', undefined), /groupName can't be empty/);
  assert.throws(() => serviceKeyV1(undefined, 'svc@@', undefined), /should be format as 'groupName@@serviceName'/);
  assert.deepEqual(serviceKeyV2(undefined, 'svc', 'G'), { namespace: 'public', group: 'G', name: 'svc' });
  assert.throws(() => serviceKeyV2(undefined, 'G@@svc', undefined), /illegal characters/);
});

test('client agent: Client-Version first, push only for known SDKs at or above the threshold', () => {
  assert.equal(clientAgent({ 'user-agent': 'ua', 'client-version': 'cv' }), 'cv');
  assert.equal(clientAgent({ 'user-agent': 'ua' }), 'ua');
  assert.equal(canPushTo('Nacos-Java-Client:v1.0.0'), true);
  assert.equal(canPushTo('Nacos-Java-Client:v0.0.9'), false);
  assert.equal(canPushTo('Nacos-C-Client:v1.0.12'), true);
  assert.equal(canPushTo('Nacos-C-Client:v1.0.9'), false);
  assert.equal(canPushTo('Nacos-Python-Client:v1.0.0'), false);
  assert.equal(canPushTo('curl/8.0'), false);
  assert.equal(canPushTo(''), false);
  assert.equal(compareVersions('1.0.12', '1.0.9'), 1);
});

test('errors: one mapper for both families', () => {
  assert.equal(familyOf('/nacos/v1/ns/instance'), 'text');
  assert.equal(familyOf('/nacos/v2/ns/instance?x=1'), 'result');
  assert.equal(familyOf('/nacos/v3/client/ns/instance'), 'result');
  assert.equal(familyOf('/other'), 'text');
  const missing = new MissingParamError('ip');
  assert.deepEqual(toErrorResponse(missing, 'text'), { status: 400, contentType: 'text/plain;charset=UTF-8', body: "Param 'ip' is required." });
  assert.deepEqual(JSON.parse(toErrorResponse(missing, 'result').body), {
    code: 10000,
    message: 'parameter missing',
    data: "Required parameter 'ip' type String is not present",
  });
  assert.deepEqual(JSON.parse(toErrorResponse(new NacosError(404, 'gone', 20004), 'result').body), { code: 20004, message: 'resource not found', data: 'gone' });
  const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  assert.equal(toErrorResponse(tooLarge, 'text').status, 413);
  assert.deepEqual(JSON.parse(toErrorResponse(new Error('boom'), 'result').body), { code: 30000, message: 'server error', data: 'boom' });
  assert.equal(toErrorResponse('weird', 'text').status, 500);
});

test('a query string must be ASCII: raw non-ASCII (a latin1-decoded URL) is refused like a bad escape', () => {
  assert.throws(() => Params.from('/x?serviceName=svc\u00ff', undefined), { message: 'Malformed query string: invalid percent-encoding or UTF-8.' });
  assert.throws(() => Params.from('/x?serviceName=svc%FF', undefined), { message: 'Malformed query string: invalid percent-encoding or UTF-8.' });
  assert.equal(Params.from('/x?serviceName=svc%C3%BF', undefined).get('serviceName'), 'svc\u00ff');
});
