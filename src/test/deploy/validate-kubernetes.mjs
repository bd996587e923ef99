// Usage: node validate-kubernetes.mjs <manifest folder> <application.properties>; exits 1 naming every problem.
// Run from a folder whose node_modules holds kubernetes-models and yaml (ES modules resolve from the script's place).
import fs from 'fs';
import path from 'path';
import YAML from 'yaml';

const [dir, propertiesFile] = process.argv.slice(2);
const problems = [];
const objects = [];

const kustomization = YAML.parse(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'));
const listed = new Set(kustomization.resources);
for (const file of fs.readdirSync(dir).filter(f => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')) {
  if (!listed.has(file)) problems.push(`${file} is not listed in kustomization.yaml`);
}
for (const file of kustomization.resources) {
  if (!fs.existsSync(path.join(dir, file))) {
    problems.push(`kustomization.yaml lists ${file}, which does not exist`);
    continue;
  }
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))) {
    if (doc.errors.length) {
      problems.push(`${file}: not YAML: ${doc.errors[0].message}`);
      continue;
    }
    const object = doc.toJS();
    if (!object) continue;
    const where = `${file}: ${object.kind} ${object.metadata && object.metadata.name}`;
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [null, object.apiVersion];
    let types;
    try {
      types = await import(`kubernetes-models/${group ? group + '/' : ''}${version}`);
    } catch (e) {
      problems.push(`${where}: unknown apiVersion ${object.apiVersion}`);
      continue;
    }
    if (!types[object.kind]) {
      problems.push(`${where}: no kind ${object.kind} in ${object.apiVersion}`);
      continue;
    }
    objects.push({ file, object });
    try {
      new types[object.kind](object).validate();
      console.log(`ok   ${where}`);
    } catch (e) {
      problems.push(`${where}: ${e.message}`);
    }
  }
}

// The Deployment against Ferry's own settings
const properties = {};
for (const line of fs.readFileSync(propertiesFile, 'utf8').split('\n')) {
  const m = line.match(/^\s*([\w.-]+)\s*=\s*(.*?)\s*$/);
  if (m) properties[m[1]] = m[2];
}
const deployment = objects.map(o => o.object).find(o => o.kind === 'Deployment');
if (!deployment) {
  problems.push('no Deployment');
} else {
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries((container.env || []).filter(e => e.value !== undefined).map(e => [e.name, e.value]));
  const timeout = Number(env.CAMEL_MAIN_SHUTDOWN_TIMEOUT || properties['camel.main.shutdown-timeout']);
  if (!(pod.terminationGracePeriodSeconds >= timeout + 5)) {
    problems.push(`terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} must be at least the shutdown timeout`
      + ` (${timeout} s) + 5`);
  }
  const port = Number(properties['ferry.management.port']);
  const named = (container.ports || []).find(p => p.name === 'management');
  if (!named || named.containerPort !== port) problems.push(`the container's port "management" must be ${port}`);
  for (const [probe, expected] of [['livenessProbe', '/observe/health/live'], ['readinessProbe', '/observe/health/ready'],
                                   ['startupProbe', '/observe/health/live']]) {
    const p = container[probe];
    if (!p || !p.httpGet || p.httpGet.path !== expected || p.httpGet.port !== 'management') {
      problems.push(`${probe} must GET ${expected} on port management`);
    }
  }
  const labels = deployment.spec.template.metadata.labels || {};
  for (const pair of properties['ferry.cluster.kubernetes.pod-labels'].split(',')) {
    const [k, v] = pair.split('=').map(s => s.trim());
    if (labels[k] !== v) problems.push(`the pods must carry ${k}=${v} (ferry.cluster.kubernetes.pod-labels)`);
  }
  const role = objects.map(o => o.object).find(o => o.kind === 'Role');
  const can = (group, resource, verb) => role && role.rules.some(r => r.apiGroups.includes(group)
    && r.resources.includes(resource) && r.verbs.includes(verb));
  for (const verb of ['get', 'list', 'create', 'update']) {
    if (!can('coordination.k8s.io', 'leases', verb)) problems.push(`the Role must allow ${verb} on leases`);
  }
  if (!can('', 'pods', 'list')) problems.push('the Role must allow list on pods');
}

// Every setting given as an environment variable names a key of application.properties (a misspelt one would be
// ignored silently): FERRY_S3_TO_OPENSEARCH_QUEUE_URL is ferry.s3-to-opensearch.queue-url
const envName = key => key.toUpperCase().replace(/[.-]/g, '_');
const known = new Set(Object.keys(properties).map(envName));
for (const extra of ['FERRY_PROFILE', 'CAMEL_MAIN_SHUTDOWN_TIMEOUT', 'JAVA_TOOL_OPTIONS']) known.add(extra);
const checkEnv = (where, data) => {
  for (const name of Object.keys(data || {})) {
    if (!known.has(name)) problems.push(`${where}: ${name} is no setting of application.properties`);
  }
};
for (const { file, object } of objects) {
  if (object.kind === 'ConfigMap' || object.kind === 'Secret') checkEnv(`${file} ${object.kind}`, object.data || object.stringData);
}

// The KEDA overlay (keda/): the queue settings it patches in, and a ScaledObject that agrees with them
const kedaDir = path.join(dir, 'keda');
if (fs.existsSync(kedaDir)) {
  const kedaKustomization = YAML.parse(fs.readFileSync(path.join(kedaDir, 'kustomization.yaml'), 'utf8'));
  if (!kedaKustomization.resources.includes('../')) problems.push('keda/kustomization.yaml must build on ../');
  const patch = YAML.parse(fs.readFileSync(path.join(kedaDir, 'queue-settings.yaml'), 'utf8'));
  if (!(kedaKustomization.patches || []).some(p => p.path === 'queue-settings.yaml')) {
    problems.push('keda/kustomization.yaml must patch queue-settings.yaml');
  }
  const base = objects.map(o => o.object).find(o => o.kind === 'ConfigMap' && o.metadata.name === patch.metadata.name);
  if (!base) problems.push(`keda/queue-settings.yaml patches ConfigMap ${patch.metadata.name}, which the base lacks`);
  checkEnv('keda/queue-settings.yaml', patch.data);
  const settings = { ...(base ? base.data : {}), ...patch.data };
  if (settings.FERRY_S3_TO_OPENSEARCH_QUEUE_ENABLED !== 'true') problems.push('keda: the queue must be enabled');
  const kedaObjects = [];
  for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(kedaDir, 'scaledobject.yaml'), 'utf8'))) {
    kedaObjects.push(doc.toJS());
  }
  const scaled = kedaObjects.find(o => o.kind === 'ScaledObject');
  const auth = kedaObjects.find(o => o.kind === 'TriggerAuthentication');
  const trigger = scaled && (scaled.spec.triggers || []).find(t => t.type === 'aws-sqs-queue');
  if (!scaled || scaled.apiVersion !== 'keda.sh/v1alpha1') {
    problems.push('keda/scaledobject.yaml: no ScaledObject of keda.sh/v1alpha1');
  } else if (!trigger) {
    problems.push('keda: the ScaledObject needs an aws-sqs-queue trigger');
  } else {
    if (!deployment || scaled.spec.scaleTargetRef.name !== deployment.metadata.name) {
      problems.push('keda: the ScaledObject must scale the Deployment');
    }
    if (!(scaled.spec.minReplicaCount >= 1)) {
      problems.push('keda: minReplicaCount must be at least 1 (the leader\'s singleton work needs a replica)');
    }
    if (trigger.metadata.queueURL !== settings.FERRY_S3_TO_OPENSEARCH_QUEUE_URL) {
      problems.push('keda: the trigger\'s queueURL must be FERRY_S3_TO_OPENSEARCH_QUEUE_URL');
    }
    const consumers = settings.FERRY_S3_TO_OPENSEARCH_QUEUE_CONSUMERS || properties['ferry.s3-to-opensearch.queue-consumers'];
    if (trigger.metadata.queueLength !== consumers) {
      problems.push(`keda: queueLength ${trigger.metadata.queueLength} must equal the messages a replica works on`
        + ` at once (queue-consumers ${consumers})`);
    }
    if (!auth || trigger.authenticationRef.name !== auth.metadata.name) {
      problems.push('keda: the trigger\'s authenticationRef must name the TriggerAuthentication');
    }
    console.log('ok   keda/scaledobject.yaml: ScaledObject ferry, TriggerAuthentication');
  }
}

if (problems.length) {
  console.error(`validate-kubernetes: ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}
console.log(`validate-kubernetes: ${objects.length} object(s) valid`);
