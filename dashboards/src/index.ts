// The dashboards this project ships, by the file each is written to under
// dashboards/ (npm run dashboards). The file names are part of the interface:
// provisioning, the Kubernetes ConfigMap and users' imports refer to them.
import { fleetDashboard } from "./fleet.js";
import { hostDashboard } from "./host.js";
import type { Dashboard } from "./model.js";

export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  "host.json": hostDashboard,
  "fleet.json": fleetDashboard,
};

/** The committed text of a dashboard file: two-space JSON and a final newline. */
export function dashboardText(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
