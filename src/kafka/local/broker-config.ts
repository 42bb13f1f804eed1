// The files one local KRaft node runs from: server.properties and a Log4j 2 configuration that
// sends the broker's log to <nodeDir>/server.log (errors also to stderr, which we keep a tail of).
import path from 'node:path';
import { LOOPBACK } from './ports.ts';

export type ClusterSize = 1 | 3;

export interface NodeAddress {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
}

export interface NodeLayout {
  /** <dataDir>/kafka/node-<id> */
  readonly nodeDir: string;
  /** Kafka's log.dirs (records and the KRaft metadata log). */
  readonly logDir: string;
  readonly propertiesFile: string;
  readonly log4jFile: string;
  readonly serverLog: string;
}

export type ConfigValue = string | number | boolean;

export function nodeLayout(kafkaDir: string, nodeId: number): NodeLayout {
  const nodeDir = path.join(kafkaDir, `node-${nodeId}`);
  return {
    nodeDir,
    logDir: path.join(nodeDir, 'data'),
    propertiesFile: path.join(nodeDir, 'server.properties'),
    log4jFile: path.join(nodeDir, 'log4j2.xml'),
    serverLog: path.join(nodeDir, 'server.log'),
  };
}

/** Settings that depend on the cluster size: internal topics must fit the number of brokers. */
function replicationSettings(size: ClusterSize): Record<string, ConfigValue> {
  const replicas = size;
  const minIsr = size === 1 ? 1 : 2;
  return {
    'default.replication.factor': replicas,
    'min.insync.replicas': minIsr,
    'unclean.leader.election.enable': false,
    'offsets.topic.replication.factor': replicas,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minIsr,
  };
}

export function serverSettings(
  node: NodeAddress,
  voters: readonly NodeAddress[],
  logDir: string,
  overrides: Readonly<Record<string, ConfigValue>> = {},
): Record<string, ConfigValue> {
  const size = voters.length === 1 ? 1 : 3;
  return {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    'controller.quorum.voters': voters.map((v) => `${v.nodeId}@${LOOPBACK}:${v.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${LOOPBACK}:${node.port},CONTROLLER://${LOOPBACK}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${LOOPBACK}:${node.port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    'num.partitions': 1,
    'auto.create.topics.enable': false,
    'group.initial.rebalance.delay.ms': 0,
    ...replicationSettings(size),
    ...overrides,
  };
}

function escapeProperty(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function toProperties(settings: Readonly<Record<string, ConfigValue>>): string {
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${escapeProperty(String(value))}`);
  return `# Written by gradeflow (src/kafka/local); rewritten on every start.\n${lines.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Log4j 2 config: everything INFO+ to a size-rolled server.log, ERROR+ also to stderr. */
export function log4jConfig(serverLog: string): string {
  const file = escapeXml(serverLog);
  const pattern = '[%d] %p %m (%c)%n';
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by gradeflow (src/kafka/local); rewritten on every start. -->
<Configuration status="WARN">
  <Appenders>
    <RollingFile name="server" fileName="${file}" filePattern="${file}.%i">
      <PatternLayout pattern="${pattern}"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
    <Console name="stderr" target="SYSTEM_ERR">
      <ThresholdFilter level="ERROR" onMatch="ACCEPT" onMismatch="DENY"/>
      <PatternLayout pattern="${pattern}"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO">
      <AppenderRef ref="server"/>
      <AppenderRef ref="stderr"/>
    </Root>
  </Loggers>
</Configuration>
`;
}
