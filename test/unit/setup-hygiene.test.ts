/** Setup hygiene's pure parts: reading the engine's process list, and the setup log's lines. */
import { hygieneLog, leftoverProcesses } from '../../activities/host/setup-hygiene';

const TITLES = ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'];
const row = (pid: number, ppid: number, cmd: string) => [
  '1000',
  String(pid),
  String(ppid),
  '0',
  '06:13',
  '?',
  '00:00:00',
  cmd,
];

test('only the init and its main child: nothing left', () => {
  expect(
    leftoverProcesses({
      Titles: TITLES,
      Processes: [row(100, 50, '/sbin/docker-init -- sleep infinity'), row(107, 100, 'sleep infinity')],
    }),
  ).toBe(0);
  expect(leftoverProcesses({ Titles: TITLES, Processes: [row(100, 50, 'sleep infinity')] })).toBe(0);
});

test('a daemon reparented to the init, or an exec beside it, is left over', () => {
  const init = row(100, 50, '/sbin/docker-init -- sleep infinity');
  const main = row(107, 100, 'sleep infinity');
  expect(leftoverProcesses({ Titles: TITLES, Processes: [init, main, row(300, 100, 'sleep infinity')] })).toBe(1);
  expect(leftoverProcesses({ Titles: TITLES, Processes: [init, main, row(301, 50, 'bash')] })).toBe(2);
  expect(leftoverProcesses({ Titles: TITLES, Processes: [init, main, row(302, 107, 'x'), row(303, 302, 'y')] })).toBe(
    2,
  );
});

test('a list without PID columns is an error, not a pass', () => {
  expect(() => leftoverProcesses({ Titles: ['CMD'], Processes: [['x']] })).toThrow(/PID/);
});

test('the log names removed files by path with any secret form hidden, and counts them', () => {
  const secret = 'npm_abcdefgh1234';
  const log = hygieneLog(
    { processesEnded: 3, removed: ['/tmp/a', `/tmp/named-${secret}`, '/home/drydock/x\nfake line'], tooShort: 1 },
    [secret, 'short'],
  );
  expect(log).toBe(
    [
      '[drydock] ended 3 processes still running after the setup',
      '[drydock] removed 3 files holding a setup secret',
      '[drydock]   removed /tmp/a',
      '[drydock]   removed /tmp/named-[secret]',
      '[drydock]   removed /home/drydock/x?fake line',
      '[drydock] 1 setup secret(s) shorter than 8 characters were not searched for',
      '',
    ].join('\n'),
  );
  expect(hygieneLog({ processesEnded: 1, removed: [], tooShort: 0 }, [])).toBe(
    '[drydock] ended 1 process still running after the setup\n',
  );
});
