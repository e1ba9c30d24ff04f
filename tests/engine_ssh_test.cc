// An Engine reached through ssh://, as docker reaches one: ssh logs in and
// runs `docker system dial-stdio` there. The tests start an sshd of their
// own on 127.0.0.1 (root logging in with a key made in the test), whose
// remote docker reaches the test's own dockerd (or the mock Engine, or
// nothing), and put first on PATH an `ssh` that runs the real one with a
// client config of the test's own: ~/.ssh is neither read nor written.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "source/engine_source.h"
#include "source_servers.h"
#include "test_support.h"

namespace strata {
namespace {

using namespace testing;

const char* const kSshd = "/usr/sbin/sshd";
const char* const kSsh = "/usr/bin/ssh";

bool CanRunShell(const std::string& program) {
  std::string output;
  return RunShell("command -v " + program, &output) == 0;
}

// sshd runs as root (it logs in as root here); scripts/setup.sh installs
// openssh-server and openssh-client, so `make test` never skips these.
#define REQUIRE_SSHD()                                                                   \
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to run an sshd of its own";           \
  if (access(kSshd, X_OK) != 0 || access(kSsh, X_OK) != 0 || !CanRunShell("ssh-keygen")) \
  GTEST_SKIP() << "needs sshd, ssh and ssh-keygen: install openssh-server and openssh-client"

// An sshd of the test's own on 127.0.0.1 and a free port. Root logs in
// with the key "key" made here (the key "other_key" is refused), and the
// remote command sees |environment| ("NAME=VALUE", sshd's SetEnv): where
// docker finds its Engine, or a PATH without docker. |more_config| goes at
// the end of sshd_config ("ForceCommand …").
class SshServer {
 public:
  explicit SshServer(const std::vector<std::string>& environment,
                     const std::string& more_config = "")
      : dir_(TempDir()), port_(FreePort()) {
    MustRun("cd " + dir_ +
            " && ssh-keygen -q -t ed25519 -N '' -f host_key"
            " && ssh-keygen -q -t ed25519 -N '' -f key"
            " && ssh-keygen -q -t ed25519 -N '' -f other_key && cp key.pub authorized_keys");
    std::string set_env;  // sshd takes the first SetEnv line only.
    for (const std::string& setting : environment) set_env += " " + setting;
    WriteFile(dir_ + "/sshd_config",
              fmt::format("ListenAddress 127.0.0.1\nPort {}\nHostKey {}/host_key\n"
                          "PidFile {}/sshd.pid\nAuthorizedKeysFile {}/authorized_keys\n"
                          "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                          "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n{}\n{}",
                          port_, dir_, dir_, dir_, set_env.empty() ? "" : "SetEnv" + set_env,
                          more_config));
    // sshd wants its privilege separation directory, which only the
    // package's service makes (at boot).
    std::filesystem::create_directories("/run/sshd");
    server_.Start({kSshd, "-D", "-e", "-f", dir_ + "/sshd_config"}, log());
    EXPECT_TRUE(WaitUntil([&] { return CanConnectTcp(port_); })) << ReadFileText(log());
  }

  // A directory holding an `ssh` that runs the real one with a config of
  // the test's own, logging in with |key| ("key" or "other_key"); it goes
  // first on PATH.
  std::string ClientDir(const std::string& key) const {
    std::string config = ClientConfig(key);
    WriteFile(config, fmt::format("Host *\n  IdentityFile {}/{}\n  IdentitiesOnly yes\n"
                                  "  IdentityAgent none\n  UserKnownHostsFile {}/known_hosts\n"
                                  "  GlobalKnownHostsFile /dev/null\n"
                                  "  StrictHostKeyChecking no\n",
                                  dir_, key, dir_));
    std::string bin = dir_ + "/bin-" + key;
    WriteFile(bin + "/ssh", fmt::format("#!/bin/sh\nexec {} -F {} \"$@\"\n", kSsh, config));
    chmod((bin + "/ssh").c_str(), 0755);
    return bin;
  }

  // The client config the `ssh` of ClientDir(|key|) runs with.
  std::string ClientConfig(const std::string& key) const { return dir_ + "/ssh_config_" + key; }

  std::string host() const { return "ssh://root@127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::string log() const { return dir_ + "/sshd.log"; }

  // How many logins sshd has taken.
  int Logins() const {
    std::string text = ReadFileText(log());
    int count = 0;
    for (size_t at = 0; (at = text.find("Accepted publickey", at)) != std::string::npos; ++at)
      ++count;
    return count;
  }

 private:
  std::string dir_;
  int port_;
  Process server_;
};

// PATH with |dir| first.
std::string PathWith(const std::string& dir) {
  const char* path = getenv("PATH");
  return dir + ":" + (path ? path : "/usr/bin:/bin");
}

// A listener that accepts connections (the kernel does, up to its
// backlog) and never says anything: a far end that never answers. On
// 127.0.0.1 and a port of its own, or on a Unix socket at |path|.
class SilentListener {
 public:
  SilentListener() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }

  explicit SilentListener(const std::string& path)
      : fd_(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
  }

  ~SilentListener() { close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// A directory holding an `ssh` that runs the real one reading no config
// and no known hosts of the user's; it goes first on PATH.
std::string PlainSshDir() {
  std::string bin = TempDir();
  WriteFile(bin + "/ssh",
            fmt::format("#!/bin/sh\nexec {} -F /dev/null -o UserKnownHostsFile=/dev/null"
                        " -o GlobalKnownHostsFile=/dev/null \"$@\"\n",
                        kSsh));
  chmod((bin + "/ssh").c_str(), 0755);
  return bin;
}

// strata's run, and how long it took in seconds.
RunResult TimedRun(const std::vector<std::string>& args, double* seconds) {
  auto start = std::chrono::steady_clock::now();
  RunResult result = RunStrata(args);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// Whether an ssh that was given |config| (ClientConfig) still runs; the
// output of pgrep in |*found|.
bool SshRunsWith(const std::string& config, std::string* found) {
  // The pattern is the config's path with its first character in
  // brackets, so that pgrep does not find the shell that runs it.
  return RunShell("pgrep -af '[" + config.substr(0, 1) + "]" + config.substr(1) + "'", found) == 0;
}

std::string Json(const std::string& command, const std::string& image) {
  RunResult result = RunStrata({command, "--format", "json", "-q", image});
  EXPECT_EQ(result.exit_code, 0) << command << " " << image << ": " << result.err;
  return WithoutSource(result.out);
}

// Through ssh, from DOCKER_HOST and from a Docker context, the image reads
// as it does through the Engine's socket, over one login per run (curl
// keeps the connection for the next request), and no ssh is left behind.
TEST(EngineSsh, ImagesThroughSshEqualThroughTheSocket) {
  REQUIRE_SSHD();
  REQUIRE_FIXTURES();
  DockerEngine engine;
  MustRun(engine.Docker("load -q -i " + FixturesDir() + "/multi.docker.tar"));
  std::string image = "docker-daemon:strata-fixture/multi:1";
  std::string audit, history, report;
  {
    ScopedEnv host("DOCKER_HOST", engine.host());
    audit = Json("audit", image);
    history = Json("history", image);
    report = RunStrata({"audit", "--no-rules", image}).out;
  }
  EXPECT_NE(report.find(image), std::string::npos) << report;

  SshServer ssh({"DOCKER_HOST=" + engine.host()});
  std::string client = ssh.ClientDir("key");
  ScopedEnv path("PATH", PathWith(client));
  {
    ScopedEnv host("DOCKER_HOST", ssh.host());
    int logins = ssh.Logins();
    EXPECT_EQ(Json("audit", image), audit);
    EXPECT_EQ(ssh.Logins(), logins + 1);
    EXPECT_EQ(Json("history", image), history);
    // The reports name the image as they do for the socket (and for
    // tcp://), and the Engine it came from, which is all that differs.
    std::string through_ssh = RunStrata({"audit", "--no-rules", image}).out;
    EXPECT_NE(through_ssh.find("docker-daemon at " + ssh.host() + " · "), std::string::npos)
        << through_ssh;
    EXPECT_EQ(through_ssh.replace(through_ssh.find(ssh.host()), ssh.host().size(), engine.host()),
              report);
  }
  std::string output;
  EXPECT_FALSE(SshRunsWith(ssh.ClientConfig("key"), &output)) << "left running:\n" << output;

  // Found by a user trial: a user name spelled with percent signs, as
  // URLs may be, was given to ssh as spelled; docker decodes it.
  {
    ScopedEnv host("DOCKER_HOST", "ssh://r%6F%6ft@127.0.0.1:" + std::to_string(ssh.port()));
    EXPECT_EQ(Json("history", image), history);
  }

  ScopedEnv docker_config("DOCKER_CONFIG", TempDir());
  ScopedEnv no_host("DOCKER_HOST", "");
  MustRun("docker context create over-ssh --docker host=" + ssh.host());
  ScopedEnv context("DOCKER_CONTEXT", "over-ssh");
  EXPECT_EQ(Json("audit", image), audit);
}

// Each way the far end can fail is one line naming the host, with ssh's
// (or the remote shell's) own last words and what to try.
TEST(EngineSsh, FailuresAreOneLineInSshsWords) {
  REQUIRE_SSHD();
  // The remote docker finds no Engine at this socket.
  std::string absent = TempDir() + "/absent.sock";
  SshServer ssh({"DOCKER_HOST=unix://" + absent});
  ScopedEnv host("DOCKER_HOST", ssh.host());
  std::string port = std::to_string(ssh.port());
  std::string start = "cannot reach the Docker daemon at " + ssh.host() + ": ssh said \"";
  std::string check = "; check that ssh reaches docker there without a prompt: ssh -p " + port +
                      " root@127.0.0.1 docker version";
  {
    ScopedEnv path("PATH", PathWith(ssh.ClientDir("other_key")));
    RunResult result = RunStrata({"history", "docker-daemon:app:1"});
    ExpectOneLineError(result, start + "root@127.0.0.1: Permission denied (publickey).\"" + check);
  }

  ScopedEnv path("PATH", PathWith(ssh.ClientDir("key")));
  RunResult result = RunStrata({"history", "docker-daemon:app:1"});
  ExpectOneLineError(result, start);
  ExpectOneLineError(result, absent);
  ExpectOneLineError(result, check);

  SshServer no_docker({"PATH=/nonexistent"});
  ScopedEnv other_path("PATH", PathWith(no_docker.ClientDir("key")));
  ScopedEnv other_host("DOCKER_HOST", no_docker.host());
  RunResult no_docker_result = RunStrata({"history", "docker-daemon:app:1"});
  ExpectOneLineError(no_docker_result,
                     "cannot reach the Docker daemon at " + no_docker.host() + ": ssh said \"");
  ExpectOneLineError(no_docker_result, "docker: command not found");
}

// Found by a user trial: a far end that never answered was waited for
// about 65 s (curl's stall limit, then ssh's end) and then named only by
// ssh's exit status. Here nothing answers after TCP: no SSH banner comes.
TEST(EngineSsh, AHostThatNeverAnswersIsGivenUpOn) {
  if (access(kSsh, X_OK) != 0) GTEST_SKIP() << "needs ssh: install openssh-client";
  SilentListener silent;
  std::string port = std::to_string(silent.port());
  ScopedEnv path("PATH", PathWith(PlainSshDir()));
  ScopedEnv host("DOCKER_HOST", "ssh://build@127.0.0.1:" + port);
  double seconds = 0;
  RunResult result = TimedRun({"history", "docker-daemon:app:1"}, &seconds);
  ExpectOneLineError(result, "cannot reach the Docker daemon at ssh://build@127.0.0.1:" + port +
                                 ": 127.0.0.1 did not answer within 30 s; check that ssh reaches "
                                 "docker there without a prompt: ssh -p " +
                                 port + " build@127.0.0.1 docker version");
  EXPECT_LT(seconds, 36) << result.err;
}

// The same with the login done and the Engine there silent: ssh itself
// waits for it for ever.
TEST(EngineSsh, AnEngineThatNeverAnswersIsGivenUpOn) {
  REQUIRE_SSHD();
  std::string socket = TempDir() + "/silent.sock";
  SilentListener silent(socket);
  SshServer ssh({"DOCKER_HOST=unix://" + socket});
  ScopedEnv path("PATH", PathWith(ssh.ClientDir("key")));
  ScopedEnv host("DOCKER_HOST", ssh.host());
  double seconds = 0;
  RunResult result = TimedRun({"history", "docker-daemon:app:1"}, &seconds);
  ExpectOneLineError(result, "cannot reach the Docker daemon at " + ssh.host() +
                                 ": 127.0.0.1 did not answer within 30 s; check that ssh");
  EXPECT_LT(seconds, 36) << result.err;
  EXPECT_EQ(ssh.Logins(), 1);
  std::string output;
  EXPECT_FALSE(SshRunsWith(ssh.ClientConfig("key"), &output)) << "left running:\n" << output;
}

// Found by a user trial: what the far end sent instead of HTTP came back
// in curl's words ("Received HTTP/0.9 when not allowed"), and the text a
// nologin account prints (on standard output, which ssh relays) was lost.
TEST(EngineSsh, AReplyThatIsNotHttp) {
  REQUIRE_SSHD();
  std::string dir = TempDir();
  std::string check = "; check that ssh reaches docker there without a prompt: ssh -p ";
  {
    SshServer ssh({}, "ForceCommand /usr/sbin/nologin");
    ScopedEnv path("PATH", PathWith(ssh.ClientDir("key")));
    ScopedEnv host("DOCKER_HOST", ssh.host());
    ExpectOneLineError(RunStrata({"history", "docker-daemon:app:1"}),
                       "the Docker daemon at " + ssh.host() +
                           " did not answer in HTTP: it sent \"This account is currently not "
                           "available.\"" +
                           check + std::to_string(ssh.port()) + " root@127.0.0.1 docker version");
  }

  // A greeting in colour, long, on several lines: its first line is
  // quoted, without the terminal's escape sequences and cut short.
  std::string long_line(400, 'x');
  WriteFile(dir + "/greet",
            "#!/bin/sh\nprintf '\\n\\033[1mWelcome\\033[0m " + long_line + "\\nsecond line\\n'\n");
  chmod((dir + "/greet").c_str(), 0755);
  {
    SshServer ssh({}, "ForceCommand " + dir + "/greet");
    ScopedEnv path("PATH", PathWith(ssh.ClientDir("key")));
    ScopedEnv host("DOCKER_HOST", ssh.host());
    RunResult result = RunStrata({"history", "docker-daemon:app:1"});
    ExpectOneLineError(result, " did not answer in HTTP: it sent \"Welcome " +
                                   long_line.substr(0, 192) + "…\"" + check);
    EXPECT_EQ(result.err.find("second line"), std::string::npos) << result.err;
  }

  // A prompt, and a wait for its answer: what came is quoted at once.
  WriteFile(dir + "/prompt", "#!/bin/sh\nprintf 'Password: '\nread answer\n");
  chmod((dir + "/prompt").c_str(), 0755);
  {
    SshServer ssh({}, "ForceCommand " + dir + "/prompt");
    ScopedEnv path("PATH", PathWith(ssh.ClientDir("key")));
    ScopedEnv host("DOCKER_HOST", ssh.host());
    double seconds = 0;
    RunResult result = TimedRun({"history", "docker-daemon:app:1"}, &seconds);
    ExpectOneLineError(result, " did not answer in HTTP: it sent \"Password:\"" + check);
    EXPECT_LT(seconds, 20) << result.err;
  }

  // Bytes that are no text are not quoted.
  WriteFile(dir + "/binary", "#!/bin/sh\nprintf '\\001\\002\\377\\376\\n'\n");
  chmod((dir + "/binary").c_str(), 0755);
  SshServer ssh({}, "ForceCommand " + dir + "/binary");
  ScopedEnv path("PATH", PathWith(ssh.ClientDir("key")));
  ScopedEnv host("DOCKER_HOST", ssh.host());
  ExpectOneLineError(RunStrata({"history", "docker-daemon:app:1"}),
                     " did not answer in HTTP: what it sent is not text" + check);
}

// An export the Engine cuts short through ssh is cut off, as through its
// socket: ssh itself ended cleanly, so curl's words say what happened.
TEST(EngineSsh, InterruptedExport) {
  REQUIRE_SSHD();
  REQUIRE_FIXTURES();
  MockEngine engine("unix", "app:1", FixturesDir() + "/multi.docker.tar", "interrupt");
  SshServer ssh({"DOCKER_HOST=unix://" + engine.socket()});
  ScopedEnv path("PATH", PathWith(ssh.ClientDir("key")));
  ScopedEnv host("DOCKER_HOST", ssh.host());
  ExpectOneLineError(RunStrata({"history", "app:1"}),
                     "the export of app:1 from the Docker daemon "
                     "was cut off: transfer closed with ");
}

// Found by a user trial: stopped before the Engine answered, strata left
// its ssh running, until ssh's own timeout or the far end ended it. The
// "ssh" here never answers; its pid is what the test looks for after.
TEST(EngineSsh, AStopEndsTheCommandToo) {
  std::string dir = TempDir();
  WriteFile(dir + "/bin/ssh", "#!/bin/sh\necho $$ > " + dir + "/ssh.pid\nexec sleep 300\n");
  chmod((dir + "/bin/ssh").c_str(), 0755);
  std::string script = "cd '" + dir + "' || exit 1\nPATH='" + dir +
                       "/bin':\"$PATH\" DOCKER_HOST=ssh://build@127.0.0.1:2222 " + StrataCommand() +
                       " history docker-daemon:app:1 2>err & strata=$!\n"
                       "for i in $(seq 300); do [ -s ssh.pid ] && break; sleep 0.1; done\n"
                       "kill -TERM $strata; wait $strata; echo \"exit $?\"\n"
                       "child=$(cat ssh.pid)\n"
                       "for i in $(seq 100); do\n"
                       "  state=$(awk '{print $3}' /proc/$child/stat 2>/dev/null)\n"
                       "  [ -z \"$state\" ] || [ \"$state\" = Z ] && break; sleep 0.1\n"
                       "done\n"
                       "echo \"ssh ${state:-gone}\" | sed 's/ Z$/ gone/'\n"
                       "kill -KILL $child 2>/dev/null; true\n";
  std::string output;
  RunShell(script, &output);
  // (The shell may say "Terminated" first.)
  EXPECT_TRUE(output.ends_with("exit 143\nssh gone\n")) << output;
  EXPECT_EQ(ReadFileText(dir + "/err"), "strata: terminated\n");
}

TEST(EngineSsh, WithoutSshInstalled) {
  std::string empty = TempDir();
  ScopedEnv host("DOCKER_HOST", "ssh://build@127.0.0.1:2222");
  ExpectOneLineError(RunStrata({"history", "docker-daemon:app:1"}, "", "", {"PATH=" + empty}),
                     "cannot reach the Docker daemon at ssh://build@127.0.0.1:2222: there is no "
                     "ssh command (in PATH); install openssh-client");
}

// The error FindEngine gives for DOCKER_HOST=|address|; "" when it takes it.
std::string AddressError(const std::string& address) {
  ScopedEnv host("DOCKER_HOST", address);
  try {
    FindEngine(Engine::kDocker);
  } catch (const Error& failure) {
    return failure.what();
  }
  return "";
}

// The command an ssh:// address makes, and one line for each spelling no
// Engine can be at, before anything is run.
TEST(EngineSsh, Spellings) {
  std::vector<std::string> head = {"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=40", "-T"};
  std::vector<std::string> tail = {"docker", "system", "dial-stdio"};
  auto command = [&](const std::vector<std::string>& middle) {
    std::vector<std::string> all = head;
    all.insert(all.end(), middle.begin(), middle.end());
    all.insert(all.end(), tail.begin(), tail.end());
    return all;
  };
  {
    ScopedEnv host("DOCKER_HOST", "ssh://engine.example");
    EngineEndpoint endpoint = FindEngine(Engine::kDocker);
    EXPECT_EQ(endpoint.command, command({"--", "engine.example"}));
    EXPECT_EQ(endpoint.base_url, "http://localhost");
    EXPECT_EQ(endpoint.command_check, "ssh engine.example docker version");
  }
  {
    ScopedEnv host("DOCKER_HOST", "ssh://build@[::1]:2222/");
    EngineEndpoint endpoint = FindEngine(Engine::kDocker);
    EXPECT_EQ(endpoint.command, command({"-l", "build", "-p", "2222", "--", "::1"}));
    EXPECT_EQ(endpoint.display, "ssh://build@[::1]:2222/");
    EXPECT_EQ(endpoint.command_check, "ssh -p 2222 build@::1 docker version");
  }
  {
    // Decoded as docker decodes it; shown as given.
    ScopedEnv host("DOCKER_HOST", "ssh://bu%69ld%2eci@engine.example");
    EngineEndpoint endpoint = FindEngine(Engine::kDocker);
    EXPECT_EQ(endpoint.command, command({"-l", "build.ci", "--", "engine.example"}));
    EXPECT_EQ(endpoint.command_check, "ssh build.ci@engine.example docker version");
    EXPECT_EQ(endpoint.display, "ssh://bu%69ld%2eci@engine.example");
  }

  for (const auto& [address, error] : std::vector<std::pair<std::string, std::string>>{
           {"ssh://h:99999", "the port \"99999\" is not a number from 1 to 65535"},
           {"ssh://h:0", "the port \"0\" is not a number from 1 to 65535"},
           {"ssh://build@h:", "the port \"\" is not a number from 1 to 65535"},
           {"ssh://:22", "no host after ssh://"},
           {"ssh://build@", "no host after ssh://"},
           {"ssh://@h", "no user name before the '@'"},
           {"ssh://h/var/run/docker.sock",
            "an ssh:// address names a host, not the path \"/var/run/docker.sock\": give "
            "ssh://[USER@]HOST[:PORT]"},
           {"ssh://[::1", "the '[' of an IPv6 address is not closed"},
           {"ssh://::1", "an IPv6 address goes in brackets (ssh://[::1]:22)"},
           {"ssh://-oProxyCommand=x", "\"-oProxyCommand=x\" is not a host name or address"},
           {"ssh://h?x=1", "\"h?x=1\" is not a host name or address"},
           // Found by a user trial: the hint to try by hand quoted these.
           {"ssh://-oProxyCommand=x@h",
            "\"-oProxyCommand=x\" is not a user name ssh can take here"},
           {"ssh://ro ot@h", "\"ro ot\" is not a user name ssh can take here"},
           {"ssh://a;b@h", "\"a;b\" is not a user name ssh can take here"},
           // Decoded, the same names are refused the same way.
           {"ssh://%2DoProxyCommand=x@h",
            "\"%2DoProxyCommand=x\" (decoded \"-oProxyCommand=x\") is not a user name ssh can "
            "take here"},
           {"ssh://ro%20ot@h",
            "\"ro%20ot\" (decoded \"ro ot\") is not a user name ssh can take here"},
           {"ssh://a%0Ab@h",
            "\"a%0Ab\" (decoded \"a\\x0ab\") is not a user name ssh can take here"},
           {"ssh://a%00@h", "\"a%00\" (decoded \"a\\x00\") is not a user name ssh can take here"},
           {"ssh://a%2@h",
            "the user name \"a%2\" holds a '%' not followed by two hexadecimal digits"},
           {"ssh://a%zz@h",
            "the user name \"a%zz\" holds a '%' not followed by two hexadecimal digits"}}) {
    EXPECT_EQ(AddressError(address), "DOCKER_HOST=" + address + ": " + error);
  }

  {
    ScopedEnv host("DOCKER_HOST", "ssh://build@127.0.0.1:99999");
    ExpectOneLineError(
        RunStrata({"history", "docker-daemon:app:1"}),
        "DOCKER_HOST=ssh://build@127.0.0.1:99999: the port \"99999\" is not a number "
        "from 1 to 65535");
  }

  // A password is refused without being shown.
  ScopedEnv host("DOCKER_HOST", "ssh://build:s3cret@h");
  RunResult result = RunStrata({"history", "docker-daemon:app:1"});
  ExpectOneLineError(result, "DOCKER_HOST holds a password (ssh://USER:PASSWORD@HOST)");
  EXPECT_EQ(result.err.find("s3cret"), std::string::npos) << result.err;

  // Podman's ssh connections are another thing.
  ScopedEnv container_host("CONTAINER_HOST", "ssh://build@127.0.0.1:2222/run/podman/podman.sock");
  ExpectOneLineError(RunStrata({"history", "podman:app:1"}),
                     "CONTAINER_HOST names an ssh:// connection, which strata does not support "
                     "for Podman: forward its socket");
}

// The host an ssh:// DOCKER_HOST gives ssh: the argument after "--" of
// strata's command.
std::string SshHostOf(const std::string& address) {
  ScopedEnv host("DOCKER_HOST", address);
  std::vector<std::string> command = FindEngine(Engine::kDocker).command;
  auto dashes = std::find(command.begin(), command.end(), "--");
  return dashes != command.end() && dashes + 1 != command.end() ? *(dashes + 1) : "";
}

// The host the docker client gives ssh for the DOCKER_HOST |address|, as
// an `ssh` of the test's own, first on PATH, writes it down (and fails:
// nothing is reached); std::nullopt when docker refuses the address
// without running ssh.
std::optional<std::string> DockerSshHost(const std::string& address) {
  std::string dir = TempDir();
  WriteFile(dir + "/ssh", "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + dir + "/args\nexit 255\n");
  chmod((dir + "/ssh").c_str(), 0755);
  std::string output;
  RunShell("HOME=" + dir + " DOCKER_CONFIG=" + dir + " PATH=" + dir + ":$PATH DOCKER_HOST='" +
               address + "' timeout 60 docker version",
           &output);
  if (access((dir + "/args").c_str(), F_OK) != 0) return std::nullopt;
  std::string args = ReadFileText(dir + "/args");
  size_t host = args.find("\n--\n");
  if (host == std::string::npos) return "no host in: " + args;
  host += 4;
  return args.substr(host, args.find('\n', host) - host);
}

// The host of an ssh:// address went to ssh as spelled, while docker
// percent-decodes it as Go's net/url decodes a URL's host (the zone of an
// IPv6 address too) and refuses escapes of ASCII there. The same
// spellings give ssh the same host, and those docker refuses are
// refused, in one line, before anything is run.
TEST(EngineSsh, PercentEncodedHostsAsDockerDecodesThem) {
  bool docker = CanRunShell("docker");
  for (const auto& [address, host] : std::vector<std::pair<std::string, std::string>>{
           {"ssh://build@h%C3%A9st.example", "h\xc3\xa9st.example"},
           {"ssh://h%c3%a9st:2222", "h\xc3\xa9st"},
           {"ssh://h%80", "h\x80"},
           {"ssh://h%25st", "h%st"},
           {"ssh://[fe80::1%25eth0]:2222", "fe80::1%eth0"},
           {"ssh://[fe80::1%25%65th%30]", "fe80::1%eth0"},
           {"ssh://[fe80::%C3%A9%25eth0]", "fe80::\xc3\xa9%eth0"},
           {"ssh://[fe80::1%25e%25%41]", "fe80::1%e%A"},
           {"ssh://engine.example", "engine.example"}}) {
    EXPECT_EQ(SshHostOf(address), host) << address;
    if (docker) EXPECT_EQ(DockerSshHost(address), host) << address;
  }

  for (const auto& [address, error] : std::vector<std::pair<std::string, std::string>>{
           {"ssh://h%41st",
            "the host \"h%41st\" holds \"%41\", which docker refuses: a host name may "
            "percent-encode only '%' (%25) and bytes from %80 up"},
           {"ssh://h%2Dx", "the host \"h%2Dx\" holds \"%2D\", which docker refuses"},
           {"ssh://h%20st", "the host \"h%20st\" holds \"%20\", which docker refuses"},
           {"ssh://h%7F", "the host \"h%7F\" holds \"%7F\", which docker refuses"},
           {"ssh://h%4", "the host \"h%4\" holds a '%' not followed by two hexadecimal digits"},
           {"ssh://h%", "the host \"h%\" holds a '%' not followed by two hexadecimal digits"},
           {"ssh://h%zz:22",
            "the host \"h%zz\" holds a '%' not followed by two hexadecimal digits"},
           {"ssh://h{st", "the host \"h{st\" holds '{', which docker refuses in a host name"},
           {"ssh://h^st", "the host \"h^st\" holds '^', which docker refuses in a host name"},
           // A zone begins at "%25", not at '%'.
           {"ssh://[fe80::1%eth0]",
            "the host \"fe80::1%eth0\" holds a '%' not followed by two hexadecimal digits"},
           {"ssh://[fe80::%31%25eth0]",
            "the host \"fe80::%31%25eth0\" holds \"%31\", which docker refuses"},
           {"ssh://[fe80::1%25en%2F1]",
            "the host \"fe80::1%25en%2F1\" holds \"%2F\" in its IPv6 zone, which docker refuses: "
            "a zone may percent-encode only '%' (%25), a blank and what a host name holds as "
            "written"},
           {"ssh://[fe80::1%25en%C3%A9]",
            "the host \"fe80::1%25en%C3%A9\" holds \"%C3\" in its IPv6 zone, which docker "
            "refuses"},
           {"ssh://[fe80::1%25e}]",
            "the host \"fe80::1%25e}\" holds '}', which docker refuses in a host name"}}) {
    std::string refused = AddressError(address);
    EXPECT_TRUE(refused.starts_with("DOCKER_HOST=" + address + ": " + error)) << refused;
    if (docker) EXPECT_EQ(DockerSshHost(address), std::nullopt) << address;
  }

  // What docker takes but ssh could not read as one host, or the shell as
  // one word, in the command the error line gives to try.
  for (const auto& [address, error] : std::vector<std::pair<std::string, std::string>>{
           {"ssh://[fe80::1%25en%20x]",
            "\"fe80::1%25en%20x\" (decoded \"fe80::1%en x\") is not a host name or address"},
           {"ssh://[fe80::1%25e%5D%3B]",
            "\"fe80::1%25e%5D%3B\" (decoded \"fe80::1%e];\") is not a host name or address"}}) {
    EXPECT_EQ(AddressError(address), "DOCKER_HOST=" + address + ": " + error);
    if (docker) EXPECT_NE(DockerSshHost(address), std::nullopt) << address;
  }

  // From the command line: one line, exit 2, no ssh run.
  ScopedEnv host("DOCKER_HOST", "ssh://build@h%41st");
  ExpectOneLineError(RunStrata({"history", "docker-daemon:app:1"}, "", "", {"PATH=" + TempDir()}),
                     "DOCKER_HOST=ssh://build@h%41st: the host \"h%41st\" holds \"%41\"");
}

}  // namespace
}  // namespace strata
