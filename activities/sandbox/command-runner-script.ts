/**
 * The command runner that lives inside a sandbox: a small Python program started
 * once per container (one `docker exec` with stdin attached) that spawns every
 * later command itself, so a command costs a fork instead of an engine exec
 * (about 6 ms instead of about 50 here). The exec runs a one-line bootstrap that
 * reads the program from stdin before any frame, so `ps` in the sandbox shows a
 * short line, and the runner names itself `drydock-runner`.
 *
 * Frames, both ways: kind (1 byte), request id (u32 BE), length (u32 BE), payload.
 *   host → runner: R run (JSON {argv, cwd, env, stdin}), I stdin bytes, C close stdin, K kill
 *   runner → host: H hello (JSON {pid}), S starting (sent before the spawn), O stdout
 *                  bytes, E stderr bytes, X exit (JSON {code}), F could not start (JSON {code, message})
 * A command the host saw no S for never started: if the runner dies first, the host
 * may run it again elsewhere.
 * Each command gets its own process group; K and a closed host stream kill it.
 * The runner makes itself non-dumpable (or refuses to run): the commands it starts
 * run as the same user, and must not reach its pipes through /proc or trace it.
 * Like the engine, the runner reports a command's exit once the command exits and
 * its output has drained (at most DRAIN seconds: a daemon it left may hold stdout).
 */

/** Protocol version the host expects in the hello frame. */
export const RUNNER_PROTOCOL = 1;

/** The runner's source; only the standard library, no site packages (-I -S). */
export const RUNNER_SCRIPT = String.raw`
import json, os, selectors, signal, struct, subprocess, sys, time
HDR = struct.Struct('>BII')
DRAIN = 0.2
out = sys.stdout.buffer
sel = selectors.DefaultSelector()
procs = {}

def send(kind, rid, payload=b''):
    out.write(HDR.pack(ord(kind), rid, len(payload)))
    if payload:
        out.write(payload)
    out.flush()

class Proc:
    def __init__(self, rid, p):
        self.rid, self.p = rid, p
        self.outs = {}
        self.pending = bytearray()
        self.close_stdin = False
        self.exited = None
        self.code = None

def start(rid, req):
    env = dict(os.environ)
    env.update(req.get('env') or {})
    send('S', rid)
    try:
        p = subprocess.Popen(req['argv'], cwd=req.get('cwd') or '/workspace', env=env,
                             stdin=subprocess.PIPE if req.get('stdin') else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    except OSError as e:
        code = 127 if isinstance(e, FileNotFoundError) else 126
        send('F', rid, json.dumps({'code': code, 'message': str(e)}).encode())
        return
    pr = Proc(rid, p)
    for f, kind in ((p.stdout, 'O'), (p.stderr, 'E')):
        fd = f.fileno()
        pr.outs[fd] = f
        sel.register(fd, selectors.EVENT_READ, ('out', pr, kind))
    if p.stdin is not None:
        os.set_blocking(p.stdin.fileno(), False)
    procs[rid] = pr

def close_out(pr, fd):
    sel.unregister(fd)
    pr.outs.pop(fd).close()

def stdin_step(pr):
    p = pr.p
    if p.stdin is None:
        return
    fd = p.stdin.fileno()
    try:
        if pr.pending:
            n = os.write(fd, pr.pending)
            del pr.pending[:n]
    except BlockingIOError:
        pass
    except OSError:
        pr.pending.clear()
        pr.close_stdin = True
    registered = fd in sel.get_map()
    if pr.pending and not registered:
        sel.register(fd, selectors.EVENT_WRITE, ('in', pr, None))
    elif not pr.pending and registered:
        sel.unregister(fd)
    if not pr.pending and pr.close_stdin:
        p.stdin.close()
        p.stdin = None

def kill(pr):
    try:
        os.killpg(pr.p.pid, signal.SIGKILL)
    except OSError:
        pass

def host_frame(kind, rid, payload):
    pr = procs.get(rid)
    if kind == 'R':
        start(rid, json.loads(payload))
    elif pr is None:
        return
    elif kind == 'I':
        pr.pending += payload
        stdin_step(pr)
    elif kind == 'C':
        pr.close_stdin = True
        stdin_step(pr)
    elif kind == 'K':
        kill(pr)

def shutdown():
    for pr in procs.values():
        kill(pr)
    sys.exit(0)

def undumpable():
    # Commands run as the same user: without this they could open /proc/<runner>/fd/*
    # (and forge frames on its pipes to the host) or trace it.
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(4, 0, 0, 0, 0) == 0  # PR_SET_DUMPABLE, 0
    except Exception:
        return False

def main():
    try:
        import ctypes
        ctypes.CDLL(None).prctl(15, b'drydock-runner', 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass
    if not undumpable():
        sys.stderr.write('drydock runner: cannot make itself non-dumpable\n')
        sys.exit(3)
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel.register(r, selectors.EVENT_READ, ('sig', None, None))
    sel.register(0, selectors.EVENT_READ, ('host', None, None))
    inbuf = bytearray()
    send('H', 0, json.dumps({'pid': os.getpid(), 'protocol': ${RUNNER_PROTOCOL}}).encode())
    while True:
        now = time.monotonic()
        waits = [max(0.0, pr.exited + DRAIN - now) for pr in procs.values() if pr.exited is not None]
        for key, _ in sel.select(min(waits) if waits else None):
            tag, pr, kind = key.data
            if tag == 'host':
                data = os.read(0, 1 << 16)
                if not data:
                    shutdown()
                inbuf += data
                while len(inbuf) >= HDR.size:
                    k, rid, n = HDR.unpack_from(inbuf)
                    if len(inbuf) < HDR.size + n:
                        break
                    payload = bytes(inbuf[HDR.size:HDR.size + n])
                    del inbuf[:HDR.size + n]
                    host_frame(chr(k), rid, payload)
            elif tag == 'sig':
                try:
                    os.read(r, 4096)
                except BlockingIOError:
                    pass
            elif tag == 'out':
                if key.fd not in pr.outs:
                    continue
                data = os.read(key.fd, 1 << 16)
                if data:
                    send(kind, pr.rid, data)
                else:
                    close_out(pr, key.fd)
            elif tag == 'in':
                stdin_step(pr)
        now = time.monotonic()
        for rid, pr in list(procs.items()):
            if pr.exited is None:
                code = pr.p.poll()
                if code is None:
                    continue
                pr.exited, pr.code = now, (128 - code if code < 0 else code)
            if pr.outs and now < pr.exited + DRAIN:
                continue
            for fd in list(pr.outs):
                close_out(pr, fd)
            if pr.p.stdin is not None:
                if pr.p.stdin.fileno() in sel.get_map():
                    sel.unregister(pr.p.stdin.fileno())
                try:
                    pr.p.stdin.close()
                except OSError:
                    pass
            del procs[rid]
            send('X', rid, json.dumps({'code': pr.code}).encode())

main()
`;

/** The `-c` argument: reads exactly the runner's bytes from stdin (os.read, so no frame is buffered away) and runs them. */
export function runnerBootstrap(scriptBytes: number): string {
  return `import os\nb=b''\nwhile len(b)<${scriptBytes}:\n c=os.read(0,${scriptBytes}-len(b))\n if not c: raise SystemExit(4)\n b+=c\nexec(compile(b,'drydock-runner','exec'))`;
}
