// npm run test:kernel: the main live-patching timeline on a real kernel under qemu.
import { runScenario } from "./harness/scenario.js";
import { MAIN_TIMELINE } from "./states/timeline.js";

runScenario(MAIN_TIMELINE);
