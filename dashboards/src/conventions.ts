// What both dashboards share: uids, the datasource reference, the template
// variables, the label selector every query starts from, and the links between
// the two dashboards. Changing a uid breaks users' bookmarks and the links.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";

export const HOST_UID = "livepatch-host";
export const FLEET_UID = "livepatch-fleet";
export const TAGS = ["livepatch", "livepatch_exporter"];

/** The data source of every panel, query and variable: the `datasource` variable, never a fixed uid. */
export const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

/** Label matchers for the selected jobs and instances ("All" is `.*`, which Prometheus matches fastest). */
export const SELECTOR = 'job=~"$job",instance=~"$instance"';

/** `metric{job=~"$job",instance=~"$instance",extra}`. */
export function sel(metric: string, extra?: string): string {
  return `${metric}{${SELECTOR}${extra === undefined ? "" : `,${extra}`}}`;
}

/** `metric{job=~"$job"}`, for series recorded per job (no instance label). */
export function byJob(metric: string, extra?: string): string {
  return `${metric}{job=~"$job"${extra === undefined ? "" : `,${extra}`}}`;
}

/**
 * The three variables of both dashboards: the Prometheus data source, then
 * the jobs that run the exporter and their targets (every target, so a dead
 * exporter can still be selected). `instance` is one host on the Host
 * dashboard (Grafana opens it on the first one, never on the whole fleet),
 * any number or All on the Fleet dashboard.
 *
 * The targets are the instances of `up` now (an instant query), not every
 * instance seen over the dashboard's hours: label_values() over 6 hours reads
 * each host's series in every block, 2.3 s at 10,000 hosts where this reads
 * the head alone in 0.3 s (docs/performance.md, Fleet scale).
 */
export function variables(instances: "one" | "many"): cog.Builder<dashboard.VariableModel>[] {
  return [
    new dashboard.DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"),
    withAll(
      queryVariable(
        "job",
        "Job",
        "label_values(livepatch_exporter_build_info, job)",
        "Scrape jobs that run livepatch_exporter.",
      ),
    ),
    instances === "many"
      ? withAll(
          queryVariable(
            "instance",
            "Instance",
            INSTANCES_QUERY,
            "Targets of the selected jobs, including exporters that are down.",
          ).regex(INSTANCE_REGEX),
        )
      : queryVariable(
          "instance",
          "Instance",
          INSTANCES_QUERY,
          "The host: one target of the selected jobs (exporters that are down included). Open a host from the Fleet dashboard's tables, or pick it here.",
        )
          .regex(INSTANCE_REGEX)
          .multi(false),
  ];
}

/** One row per target of the selected jobs, as Grafana's query_result() prints it: `{instance="…"} 1 <time>`. */
const INSTANCES_QUERY = 'query_result(count by (instance) (up{job=~"$job"}))';
/** The instance out of each row. */
const INSTANCE_REGEX = '/instance="([^"]+)"/';

function queryVariable(
  name: string,
  label: string,
  query: string,
  description: string,
): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.NaturalAsc);
}

/** Multi-select with an "All" that is `.*`: a regex Prometheus matches without looking at the values. */
function withAll(variable: dashboard.QueryVariableBuilder): dashboard.QueryVariableBuilder {
  return variable.multi(true).includeAll(true).allValue(".*");
}

/** A link in the dashboard's header to the other dashboard, keeping the time range and the variables. */
export function dashboardLink(title: string, uid: string, tooltip: string): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder(title)
    .type(dashboard.DashboardLinkType.Link)
    .url(`/d/${uid}`)
    .icon("dashboard")
    .tooltip(tooltip)
    .includeVars(true)
    .keepTime(true)
    .asDropdown(false)
    .targetBlank(false);
}

/**
 * URL of the Host dashboard for the instance and job of a table row (a data
 * link), keeping the data source and the time range.
 */
export const HOST_LINK_URL =
  `/d/${HOST_UID}?\${datasource:queryparam}` +
  "&var-job=${__data.fields.job}&var-instance=${__data.fields.instance}&${__url_time_range}";
