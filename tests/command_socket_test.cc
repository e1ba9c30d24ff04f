// Connections carried by a command (source/command_socket.h): what the
// command sees, what is said when it fails, and that it is always reaped;
// and HTTP through one, as the Engine source speaks it through ssh.
#include "source/command_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/fd.h"
#include "source/http_client.h"
#include "test_support.h"

namespace strata {
namespace {

using namespace testing;

// Connects to |dialer| as curl does: the socket it gives, to the address
// it gives; then the command starts.
int Dial(CommandDialer& dialer) {
  sockaddr_storage address{};
  unsigned length = 0;
  int socket = dialer.OpenSocket(reinterpret_cast<sockaddr*>(&address), &length);
  EXPECT_GE(socket, 0) << dialer.error();
  EXPECT_EQ(connect(socket, reinterpret_cast<sockaddr*>(&address), length), 0) << strerror(errno);
  EXPECT_TRUE(dialer.StartCommand()) << dialer.error();
  return socket;
}

std::string ReadToEnd(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t got = 0;
  while ((got = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, got);
  return text;
}

// True once |pid| is no child of ours any more: reaped, not a zombie.
bool Reaped(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD; }

TEST(CommandSocket, CarriesTheCommandsInputAndOutput) {
  CommandDialer dialer({"sh", "-c", "read line; echo \"got $line\""});
  int socket = Dial(dialer);
  ASSERT_EQ(write(socket, "hi\n", 3), 3);
  EXPECT_EQ(ReadToEnd(socket), "got hi\n");
  ASSERT_NE(CommandOfSocket(socket), nullptr);
  pid_t pid = CommandOfSocket(socket)->pid();

  CloseCommandSocket(socket);
  EXPECT_TRUE(Reaped(pid));
  EXPECT_EQ(CommandOfSocket(socket), nullptr);
  EXPECT_FALSE(dialer.child()->Failed());
  EXPECT_EQ(dialer.child()->Account(), "sh exited with status 0");
}

// Only its standard input, output and error: not a descriptor strata had
// open without close-on-exec.
TEST(CommandSocket, GetsNoOtherDescriptor) {
  int leaky[2];
  ASSERT_EQ(pipe(leaky), 0);
  Fd read_end(leaky[0]), write_end(leaky[1]);
  CommandDialer dialer({"sh", "-c", "ls /proc/$$/fd"});
  int socket = Dial(dialer);
  EXPECT_EQ(ReadToEnd(socket), "0\n1\n2\n");
  CloseCommandSocket(socket);
}

// The last line that says something, without ssh's note on a new host
// key, blanks or carriage returns; else the exit status.
TEST(CommandSocket, AccountQuotesTheLastLineThatSaysSomething) {
  CommandDialer dialer({"sh", "-c",
                        "echo first >&2; printf '  the reason\\r\\n\\n' >&2; "
                        "echo \"Warning: Permanently added '[127.0.0.1]:22' (ED25519) to the list "
                        "of known hosts.\" >&2; exit 3"});
  CloseCommandSocket(Dial(dialer));
  EXPECT_TRUE(dialer.child()->Failed());
  EXPECT_EQ(dialer.child()->Account(), "sh said \"the reason\"");

  CommandDialer silent({"sh", "-c", "exit 4"});
  CloseCommandSocket(Dial(silent));
  EXPECT_EQ(silent.child()->Account(), "sh exited with status 4");

  // The peer's words are cut short in an error line.
  CommandDialer wordy({"sh", "-c", "printf '%0300d\\n' 0 >&2; exit 1"});
  CloseCommandSocket(Dial(wordy));
  EXPECT_EQ(wordy.child()->Account(), "sh said \"" + std::string(200, '0') + "…\"");
}

// A command that does not end when its input does is stopped, and reaped.
TEST(CommandSocket, StoppedWhenItRunsOn) {
  CommandDialer dialer({"sleep", "1000"});
  int socket = Dial(dialer);
  pid_t pid = dialer.child()->pid();
  CloseCommandSocket(socket);
  EXPECT_TRUE(Reaped(pid));
  EXPECT_EQ(dialer.child()->Account(), "sleep was ended by signal 15 (Terminated)");
}

TEST(CommandSocket, ProgramMissing) {
  CommandDialer dialer({"strata-no-such-program"});
  sockaddr_storage address{};
  unsigned length = 0;
  Fd socket(dialer.OpenSocket(reinterpret_cast<sockaddr*>(&address), &length));
  ASSERT_EQ(connect(socket.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_FALSE(dialer.StartCommand());
  EXPECT_EQ(dialer.error(), "cannot run strata-no-such-program: No such file or directory");
  EXPECT_FALSE(CanRun("strata-no-such-program"));
  EXPECT_TRUE(CanRun("sh"));
}

// HTTP through a command, as http_client.cc has curl speak it: one command
// serves every request of a thread (curl keeps the connection), and a
// command that fails says why, in its own words.
TEST(CommandSocket, HttpThroughACommand) {
  std::string dir = TempDir();
  WriteFile(dir + "/serve.py",
            "import sys\n"
            "open(sys.argv[1], 'a').write('started\\n')\n"
            "requests = 0\n"
            "while sys.stdin.buffer.readline():\n"
            "    while sys.stdin.buffer.readline() not in (b'\\r\\n', b''):\n"
            "        pass\n"
            "    requests += 1\n"
            "    body = str(requests).encode()\n"
            "    sys.stdout.buffer.write(b'HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n%s'"
            " % (len(body), body))\n"
            "    sys.stdout.buffer.flush()\n");
  HttpOptions options;
  options.command = {"python3", dir + "/serve.py", dir + "/starts"};
  for (const char* expected : {"1", "2", "3"}) {
    std::string body;
    HttpResponse response =
        Fetch(options, {"http://localhost/_ping", {}, false, {}}, 64, "", &body);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(body, expected);
  }
  EXPECT_EQ(ReadFileText(dir + "/starts"), "started\n");

  // A request far larger than a socket's buffers, to a command that ends
  // without reading it: curl's writes meet a closed socket, whose SIGPIPE
  // must not end this test.
  options.command = {"sh", "-c", "echo 'Permission denied (publickey).' >&2; exit 255"};
  try {
    std::string body;
    Fetch(options, {"http://localhost/_ping", {}, false, std::string(8 << 20, 'x')}, 64, "", &body);
    ADD_FAILURE() << "no error";
  } catch (const TransferError& error) {
    EXPECT_EQ(error.kind(), TransferError::Kind::kCommand);
    EXPECT_EQ(std::string(error.what()), "sh said \"Permission denied (publickey).\"");
  }

  options.command = {"strata-no-such-program"};
  try {
    std::string body;
    Fetch(options, {"http://localhost/_ping", {}, false, {}}, 64, "", &body);
    ADD_FAILURE() << "no error";
  } catch (const TransferError& error) {
    EXPECT_EQ(error.kind(), TransferError::Kind::kCommand);
    EXPECT_EQ(std::string(error.what()),
              "cannot run strata-no-such-program: No such file or directory");
  }
}

}  // namespace
}  // namespace strata
