// drydock-runner: the command runner that lives inside a sandbox. The host starts
// it once per container (one `docker exec` with stdin attached) and it spawns every
// later command itself, so a command costs a fork instead of an engine exec.
//
// Frames, both ways: kind (1 byte), request id (u32 BE), length (u32 BE), payload.
//
//	host → runner: R run (JSON {argv, cwd, env, stdin}), I stdin bytes, C close stdin, K kill
//	runner → host: H hello (JSON {pid, protocol}), S starting (sent before the spawn),
//	               O stdout bytes, E stderr bytes, X exit (JSON {code}: 128+n for signal n),
//	               F could not start (JSON {code: 127 not found / 126 other, message})
//
// A command the host saw no S for never started. Each command gets its own session
// (process group); K and the end of the host's stream kill it. Like the engine, the
// runner reports a command's exit once the command exits and its output has drained
// (at most drainWait: a daemon it left may hold stdout).
//
// The commands run as the runner's own user, so the runner must be non-dumpable from
// its first instruction: otherwise they could open its pipes through /proc/<pid>/fd
// and forge frames to the host. The kernel makes a program non-dumpable at execve
// when the caller cannot read its file, so the host mounts this binary execute-only
// (mode 0111); the runner checks that it is non-dumpable and refuses to run if not.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// protocol is the version the host expects in the hello frame.
const protocol = 1

const (
	headerBytes = 9
	// drainWait is how long output may still arrive after a command exits.
	drainWait = 200 * time.Millisecond
	// chunkBytes is the most output read (and sent in one frame) at a time.
	chunkBytes = 64 * 1024
	// maxHostFrame bounds a frame from the host; a longer one means the stream is corrupt.
	maxHostFrame = 16 * 1024 * 1024
	defaultCwd   = "/workspace"
	name         = "drydock-runner"
)

const (
	prSetName     = 15
	prGetDumpable = 3
)

// request is an R frame's payload.
type request struct {
	Argv  []string          `json:"argv"`
	Cwd   string            `json:"cwd"`
	Env   map[string]string `json:"env"`
	Stdin bool              `json:"stdin"`
}

// command is one running command.
type command struct {
	id   uint32
	proc *os.Process
	// outs are the read ends of the command's stdout and stderr.
	outs []*os.File
	// mu orders output frames before the exit frame: nothing is sent once done is set.
	mu   sync.Mutex
	done bool
	in   *stdinPipe
}

// stdinPipe feeds a command's stdin from I frames without blocking the host reader.
type stdinPipe struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending [][]byte
	closing bool
	w       *os.File
}

var (
	sendMu  sync.Mutex
	stdout  = os.Stdout
	procsMu sync.Mutex
	procs   = map[uint32]*command{}
)

func main() {
	setName()
	if !nonDumpable() {
		fmt.Fprintln(os.Stderr, "drydock runner: it is dumpable (is its file readable?); refusing to run")
		os.Exit(3)
	}
	// A write to the host's closed pipe must return an error, not kill the runner
	// before it kills its commands. Notify (not Ignore): children do not inherit it.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	hello, _ := json.Marshal(map[string]int{"pid": os.Getpid(), "protocol": protocol})
	send('H', 0, hello)
	readHost(bufio.NewReaderSize(os.Stdin, 1<<16))
	shutdown()
}

// init keeps main on the process's first thread, whose name is the process's.
func init() {
	runtime.LockOSThread()
}

// setName names the process drydock-runner (its comm), whatever its file is called.
func setName() {
	b := append([]byte(name), 0)
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetName, uintptr(unsafe.Pointer(&b[0])), 0)
}

// nonDumpable reports whether the kernel made this process non-dumpable.
func nonDumpable() bool {
	r, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetDumpable, 0, 0)
	return errno == 0 && r == 0
}

// readHost reads and handles host frames until the host's stream ends.
func readHost(r *bufio.Reader) {
	header := make([]byte, headerBytes)
	for {
		if _, err := io.ReadFull(r, header); err != nil {
			return
		}
		kind := header[0]
		id := binary.BigEndian.Uint32(header[1:5])
		size := binary.BigEndian.Uint32(header[5:9])
		if size > maxHostFrame {
			return
		}
		payload := make([]byte, size)
		if _, err := io.ReadFull(r, payload); err != nil {
			return
		}
		hostFrame(kind, id, payload)
	}
}

func hostFrame(kind byte, id uint32, payload []byte) {
	if kind == 'R' {
		start(id, payload)
		return
	}
	procsMu.Lock()
	c := procs[id]
	procsMu.Unlock()
	if c == nil {
		return
	}
	switch kind {
	case 'I':
		c.in.write(payload)
	case 'C':
		c.in.close()
	case 'K':
		kill(c)
	}
}

// send writes one frame to the host; a host that is gone ends the runner.
func send(kind byte, id uint32, payload []byte) {
	frame := make([]byte, headerBytes+len(payload))
	frame[0] = kind
	binary.BigEndian.PutUint32(frame[1:5], id)
	binary.BigEndian.PutUint32(frame[5:9], uint32(len(payload)))
	copy(frame[headerBytes:], payload)
	sendMu.Lock()
	_, err := stdout.Write(frame)
	sendMu.Unlock()
	if err != nil {
		shutdown()
	}
}

func sendJSON(kind byte, id uint32, v any) {
	b, _ := json.Marshal(v)
	send(kind, id, b)
}

// start runs one command: S first, then the spawn, F if it could not start.
func start(id uint32, payload []byte) {
	send('S', id, nil)
	var req request
	if err := json.Unmarshal(payload, &req); err != nil {
		sendJSON('F', id, map[string]any{"code": 126, "message": "drydock runner: bad request: " + err.Error()})
		return
	}
	if len(req.Argv) == 0 {
		sendJSON('F', id, map[string]any{"code": 127, "message": "drydock runner: empty command"})
		return
	}
	c, err := spawn(id, req)
	if err != nil {
		code := 126
		if errors.Is(err, fs.ErrNotExist) {
			code = 127
		}
		sendJSON('F', id, map[string]any{"code": code, "message": startError(err)})
		return
	}
	procsMu.Lock()
	procs[id] = c
	procsMu.Unlock()
	go c.supervise()
}

// spawn starts the command in a new session with pipes for stdout and stderr (and stdin if asked).
func spawn(id uint32, req request) (*command, error) {
	env := mergeEnv(os.Environ(), req.Env)
	cwd := req.Cwd
	if cwd == "" {
		cwd = defaultCwd
	}
	// The spawn's own error would name the program, not the folder that is missing.
	if info, err := os.Stat(cwd); err != nil {
		return nil, err
	} else if !info.IsDir() {
		return nil, &fs.PathError{Op: "chdir", Path: cwd, Err: syscall.ENOTDIR}
	}
	path, err := lookPath(req.Argv[0], envValue(env, "PATH"))
	if err != nil {
		return nil, err
	}
	var toClose []*os.File
	defer func() {
		for _, f := range toClose {
			f.Close()
		}
	}()
	var stdinR, stdinW *os.File
	if req.Stdin {
		if stdinR, stdinW, err = os.Pipe(); err != nil {
			return nil, err
		}
	} else if stdinR, err = os.Open(os.DevNull); err != nil {
		return nil, err
	}
	toClose = append(toClose, stdinR)
	outR, outW, err := os.Pipe()
	if err != nil {
		if stdinW != nil {
			stdinW.Close()
		}
		return nil, err
	}
	toClose = append(toClose, outW)
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		if stdinW != nil {
			stdinW.Close()
		}
		return nil, err
	}
	toClose = append(toClose, errW)
	proc, err := os.StartProcess(path, req.Argv, &os.ProcAttr{
		Dir:   cwd,
		Env:   env,
		Files: []*os.File{stdinR, outW, errW},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		outR.Close()
		errR.Close()
		if stdinW != nil {
			stdinW.Close()
		}
		return nil, err
	}
	c := &command{id: id, proc: proc, outs: []*os.File{outR, errR}, in: newStdinPipe(stdinW)}
	return c, nil
}

// supervise forwards the command's output, waits for its exit and its output's drain, then sends X.
func (c *command) supervise() {
	drained := make(chan struct{}, 2)
	for i, f := range c.outs {
		kind := byte('O')
		if i == 1 {
			kind = 'E'
		}
		go c.forward(f, kind, drained)
	}
	state, err := c.proc.Wait()
	code := 255
	if err == nil {
		code = exitCode(state)
	}
	deadline := time.NewTimer(drainWait)
	defer deadline.Stop()
drain:
	for open := len(c.outs); open > 0; open-- {
		select {
		case <-drained:
		case <-deadline.C:
			break drain
		}
	}
	c.mu.Lock()
	c.done = true
	c.mu.Unlock()
	for _, f := range c.outs {
		f.Close()
	}
	c.in.abandon()
	procsMu.Lock()
	delete(procs, c.id)
	procsMu.Unlock()
	sendJSON('X', c.id, map[string]int{"code": code})
}

// forward sends what the command writes to f as frames of this kind until EOF or the command is done.
func (c *command) forward(f *os.File, kind byte, drained chan<- struct{}) {
	defer func() { drained <- struct{}{} }()
	buf := make([]byte, chunkBytes)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			c.mu.Lock()
			if c.done {
				c.mu.Unlock()
				return
			}
			send(kind, c.id, buf[:n])
			c.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// startError says why a command could not start, as a shell would: "path: No such file or directory".
func startError(err error) string {
	var pathErr *fs.PathError
	var errno syscall.Errno
	if !errors.As(err, &pathErr) || !errors.As(err, &errno) {
		return "drydock runner: " + err.Error()
	}
	reason := errno.Error()
	return pathErr.Path + ": " + strings.ToUpper(reason[:1]) + reason[1:]
}

// exitCode is the exit status, or 128+n for a command killed by signal n (as a shell reports it).
func exitCode(state *os.ProcessState) int {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}

// kill kills the command's whole process group.
func kill(c *command) {
	_ = syscall.Kill(-c.proc.Pid, syscall.SIGKILL)
}

// shutdown kills every command still running and exits: the host has gone.
func shutdown() {
	procsMu.Lock()
	for _, c := range procs {
		kill(c)
	}
	procsMu.Unlock()
	os.Exit(0)
}

func newStdinPipe(w *os.File) *stdinPipe {
	p := &stdinPipe{w: w}
	p.cond = sync.NewCond(&p.mu)
	if w != nil {
		go p.pump()
	}
	return p
}

func (p *stdinPipe) write(b []byte) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.pending = append(p.pending, b)
	p.mu.Unlock()
	p.cond.Signal()
}

func (p *stdinPipe) close() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	p.cond.Signal()
}

// abandon closes the pipe whatever is still pending: the command has finished.
func (p *stdinPipe) abandon() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.pending = nil
	p.closing = true
	p.mu.Unlock()
	p.cond.Signal()
	p.w.Close()
}

// pump writes pending bytes to the command's stdin in order and closes it once asked and empty.
func (p *stdinPipe) pump() {
	for {
		p.mu.Lock()
		for len(p.pending) == 0 && !p.closing {
			p.cond.Wait()
		}
		if len(p.pending) == 0 {
			p.mu.Unlock()
			p.w.Close()
			return
		}
		b := p.pending[0]
		p.pending = p.pending[1:]
		p.mu.Unlock()
		if _, err := p.w.Write(b); err != nil {
			// The command closed its stdin or exited: drop the rest.
			p.mu.Lock()
			p.pending = nil
			p.closing = true
			p.mu.Unlock()
		}
	}
}

// mergeEnv is base with overrides applied: replaced in place, new names appended in sorted order.
func mergeEnv(base []string, overrides map[string]string) []string {
	out := make([]string, 0, len(base)+len(overrides))
	seen := map[string]bool{}
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := overrides[k]; ok {
			kv = k + "=" + v
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, kv)
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+overrides[k])
	}
	return out
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// lookPath finds file on the command's own PATH (as execvp does); a name with a slash is used as is.
func lookPath(file, path string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, file)
		if info, err := os.Stat(candidate); err == nil && !info.IsDir() {
			return candidate, nil
		}
	}
	return "", &fs.PathError{Op: "exec", Path: file, Err: syscall.ENOENT}
}
