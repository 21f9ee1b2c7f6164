// What each role may do, as the console needs to know it to offer only the actions a role
// has. The server decides (its authorisation table, `vigie-auth`'s `policy.rs`); this copy
// only hides or disables what would be refused, and fails closed on a role it does not know.

import type { Me, Role, Scope, ScopeSet } from './auth';

/** The permissions the console uses, named like the server's actions. */
export type Permission =
  | 'read_incidents'
  | 'command_incidents'
  | 'create_incidents'
  | 'read_sensors'
  | 'read_cameras'
  | 'read_imagery'
  | 'read_alarms'
  | 'shelve_alarms'
  | 'read_live_stream';

const GRANTS: Record<Permission, readonly Role[]> = {
  read_incidents: ['operator', 'supervisor', 'data_protection_officer'],
  command_incidents: ['operator', 'supervisor'],
  create_incidents: ['operator', 'supervisor'],
  read_sensors: ['operator', 'supervisor', 'administrator', 'integrator'],
  read_cameras: ['operator', 'supervisor', 'administrator', 'data_protection_officer'],
  read_imagery: ['operator', 'supervisor', 'data_protection_officer'],
  read_alarms: ['operator', 'supervisor'],
  shelve_alarms: ['supervisor'],
  read_live_stream: ['operator', 'supervisor'],
};

/** Tells whether `role` holds `permission`; an unknown role holds none. */
export function can(role: string, permission: Permission): boolean {
  return (GRANTS[permission] as readonly string[]).includes(role);
}

/** What the console shows and offers to a role. */
export interface Capabilities {
  /** The incident queue and the incident detail. */
  incidents: boolean;
  /** Acknowledge, playbook, notes, units, cameras, resolve...: the actions on an incident. */
  command: boolean;
  /** The supervision tab (alarm rates, standing and shelved alarms). */
  supervision: boolean;
  /** Shelve and unshelve alarms. */
  shelve: boolean;
  /** Sensors on the map and their detail. */
  sensors: boolean;
  /** Evidence snapshots in the incident detail. */
  imagery: boolean;
  /** The live event stream; without it the queue is read again every 30 s. */
  live: boolean;
  /** Nothing can be changed from the console (auditors, data protection officers...). */
  readOnly: boolean;
}

export function capabilities(role: string): Capabilities {
  const command = can(role, 'command_incidents');
  return {
    incidents: can(role, 'read_incidents'),
    command,
    supervision: can(role, 'read_alarms'),
    shelve: can(role, 'shelve_alarms'),
    sensors: can(role, 'read_sensors'),
    imagery: can(role, 'read_imagery'),
    live: can(role, 'read_live_stream'),
    readOnly: !command && !can(role, 'shelve_alarms'),
  };
}

function setAllows(set: ScopeSet, item: string | null | undefined): boolean {
  if (set === 'all') return true;
  return item !== null && item !== undefined && set.only.includes(item);
}

/** Tells whether something at (`post`, `commune`) lies in the scope; unknown on a restricted side means no. */
export function inScope(scope: Scope, post: string | null | undefined, commune: string | null | undefined): boolean {
  return setAllows(scope.posts, post) && setAllows(scope.communes, commune);
}

/** The command posts of the scope among `known` (every known post for `all`), in `known`'s order. */
export function scopePosts(scope: Scope, known: readonly string[]): string[] {
  const posts = scope.posts;
  if (posts === 'all') return [...known];
  return known.filter((post) => posts.only.includes(post));
}

/** The one command post an account works at, when its scope names exactly one; null otherwise. */
export function homePost(me: Pick<Me, 'scope'>): string | null {
  const posts = me.scope.posts;
  return posts !== 'all' && posts.only.length === 1 ? (posts.only[0] ?? null) : null;
}
