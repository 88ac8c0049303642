/** Public surface of the Distro core (what the server wiring uses). */
export { DistroProtocol, type DistroDeps, type DistroLogger } from './distro-protocol.js';
export { HybridLogicalClock, compareStamp, type Stamp } from './hlc.js';
export { DistroMapper, distroIndex, healthyListOf, kindOfClientId, responsibleTagOf, type MemberState, type MemberView } from './mapper.js';
export { DEFAULT_DISTRO_CONFIG, DISTRO_CONFIG_KEYS, distroConfig, type DistroConfig, type VerifyMode } from './config.js';
export type { DistroTransportAgent } from './transport-agent.js';
export type { DistroObserver } from './execute-task-engine.js';
export type * from './messages.js';
export type { DistroStats, DistroCounters, PeerStats } from './stats.js';
export { javaStringHash } from './hash.js';
