/** The peer drivers by name (the load generators get the name as an argument). */
import type { PeerDriver, PeerName } from './common.js';
import { etcd } from './etcd.js';
import { zookeeper } from './zookeeper.js';

export const DRIVERS: Record<PeerName, PeerDriver> = { etcd, zookeeper };
