import { createServer, type AddressInfo } from 'node:net';

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A loopback port P such that P, P+1000 and P+1001 are all free (HTTP, SDK gRPC, cluster gRPC). */
export async function freeNomenPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    // Below Linux's ephemeral range (32768–60999 by default), so that an outgoing connection of a
    // parallel test cannot take the port between this check and the server's bind.
    const p = 10000 + Math.floor(Math.random() * 21000);
    if ((await tryListen(p)) && (await tryListen(p + 1000)) && (await tryListen(p + 1001))) return p;
  }
  throw new Error('no free port triple found');
}

/** An ephemeral loopback port nothing listens on right now (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
