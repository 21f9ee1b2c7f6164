// What every view of the console can reach.

import type { Api } from './api';
import type { Me } from './auth';
import type { Capabilities } from './roles';
import type { ConsoleState } from './store/state';
import type { Camera, Category, Command, Post, SensorEntry } from './types';

export interface Ctx {
  api: Api;
  state: ConsoleState;
  /** The signed-in account. */
  me: Me;
  /** What the account's role lets the console show and offer. */
  caps: Capabilities;
  /** The one command post of the account's scope, or null when it covers several (or all). */
  homePost: string | null;
  posts: Map<string, Post>;
  categories: Map<string, Category>;
  communes: Map<string, string>;
  zones: Map<string, string>;
  cameras: Map<string, Camera>;
  sensors: Map<string, SensorEntry>;
  /** The server's clock, as well as the browser can tell it. */
  now(): number;
  /** The command posts of the account's scope, as known from `/api/posts`. */
  scopePosts(): string[];
  /** Sends a command on an incident; shows the refusal, if any. Resolves to whether it was recorded. */
  command(id: number, command: Command): Promise<boolean>;
  /** Shows why the API refused something (role, scope, network...) as a toast. */
  refused(error: unknown): void;
  openIncident(id: number, options?: { focusMap?: boolean; focusDetail?: boolean }): void;
  openSensor(id: string): void;
  closeDetail(): void;
  focusMap(position: { lon: number; lat: number }): void;
  postName(id: string): string;
  communeName(id: string | null): string;
  zoneName(id: string | null): string;
  categoryLabel(id: string): string;
  cameraName(id: string): string;
  unitName(id: string): string;
}
