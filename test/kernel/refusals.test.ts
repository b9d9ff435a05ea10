// npm run test:kernel: boots that accept only signed modules refuse the unsigned test patch.
import { runScenario } from "./harness/scenario.js";
import { LOCKDOWN, SIG_ENFORCE } from "./states/refusals.js";

runScenario(LOCKDOWN);
runScenario(SIG_ENFORCE);
