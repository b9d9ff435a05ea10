// A free TCP port on 127.0.0.1, chosen by the kernel, for a server that takes
// its port as a flag (prometheus, alertmanager, node_exporter, qemu): servers
// of this project listen on port 0 themselves.
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
