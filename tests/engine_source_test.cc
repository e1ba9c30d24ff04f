// Images in a Docker Engine, read through its API: a real dockerd (vfs
// storage, no networking of its own) started here on a socket of its own,
// and tests/servers/mock_engine.py for what Engine 20.10 cannot show (the
// Engine 25+ export layout, a TCP DOCKER_HOST, Podman's socket, an export
// cut short). Every result must equal the one for the archive the image
// was loaded from.
#include "source/engine_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "base/error.h"
#include "blob/sha256.h"
#include "source_servers.h"
#include "test_support.h"

namespace strata {
namespace {

using namespace testing;

std::string Json(const std::string& command, const std::string& image) {
  RunResult result = RunStrata({command, "--format", "json", "-q", image});
  EXPECT_EQ(result.exit_code, 0) << command << " " << image << ": " << result.err;
  return WithoutSource(result.out);
}

TEST(EngineSource, DaemonImagesEqualTheirArchives) {
  REQUIRE_FIXTURES();
  DockerEngine engine;
  ScopedEnv host("DOCKER_HOST", engine.host());
  for (const char* name : {"multi", "semantics"}) {
    std::string archive = FixturesDir() + "/" + name + ".docker.tar";
    MustRun(engine.Docker("load -q -i " + archive));
    std::string tag = std::string("strata-fixture/") + name + ":1";
    std::string id = MustRun(engine.Docker("images -q --no-trunc " + tag));
    id.erase(id.find_last_not_of("\n") + 1);

    for (const std::string& image : {tag, "docker-daemon:" + tag, "docker-daemon:" + id}) {
      EXPECT_EQ(Json("audit", image), Json("audit", archive)) << image;
      EXPECT_EQ(Json("history", image), Json("history", archive)) << image;
    }
  }
}

// A real dockerd listening on TCP with --tlsverify, its certificates made
// by openssl (MakeEngineTlsFiles): strata reaches it as docker
// does, through DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, and each way of
// getting that wrong is one line naming what to fix.
TEST(EngineSource, TlsDockerHost) {
  REQUIRE_FIXTURES();
  std::string certs = TempDir();
  MakeEngineTlsFiles(certs);
  int port = FreePort();
  std::string host = "tcp://127.0.0.1:" + std::to_string(port);
  DockerEngine engine({"-H", host, "--tlsverify", "--tlscacert", certs + "/ca.pem", "--tlscert",
                       certs + "/server-cert.pem", "--tlskey", certs + "/server-key.pem"});
  std::string archive = FixturesDir() + "/multi.docker.tar";
  MustRun(engine.Docker("load -q -i " + archive));
  ScopedEnv docker_host("DOCKER_HOST", host);
  ScopedEnv tls("DOCKER_TLS", "");

  {
    ScopedEnv verify("DOCKER_TLS_VERIFY", "1");
    ScopedEnv cert_path("DOCKER_CERT_PATH", certs);
    EXPECT_EQ(Json("audit", "docker-daemon:strata-fixture/multi:1"), Json("audit", archive));
  }
  {
    // Without DOCKER_CERT_PATH the files are looked for in ~/.docker.
    std::string home = TempDir();
    std::filesystem::create_directory(home + "/.docker");
    for (const char* name : {"ca.pem", "cert.pem", "key.pem"})
      std::filesystem::copy_file(certs + "/" + name, home + "/.docker/" + name);
    ScopedEnv verify("DOCKER_TLS_VERIFY", "1");
    ScopedEnv cert_path("DOCKER_CERT_PATH", "");
    ScopedEnv home_env("HOME", home);
    EXPECT_EQ(Json("history", "docker-daemon:strata-fixture/multi:1"), Json("history", archive));
  }
  {
    ScopedEnv verify("DOCKER_TLS_VERIFY", "");
    ExpectOneLineError(RunStrata({"history", "docker-daemon:strata-fixture/multi:1"}),
                       "at " + host + " speaks TLS only: set DOCKER_TLS_VERIFY=1");
  }

  ScopedEnv verify("DOCKER_TLS_VERIFY", "1");
  std::string other = TempDir();  // Files that do not fit this Engine.
  MakeEngineTlsFiles(other);
  auto with_files = [&](const std::map<std::string, std::string>& files) {
    std::string dir = TempDir();
    for (const auto& [name, from] : files) std::filesystem::copy_file(from, dir + "/" + name);
    return dir;
  };
  struct Case {
    std::map<std::string, std::string> files;
    std::string error;
  };
  std::vector<Case> cases = {
      {{}, "/ca.pem cannot be read: No such file or directory; set DOCKER_CERT_PATH"},
      {{{"ca.pem", certs + "/ca.pem"}, {"cert.pem", certs + "/cert.pem"}},
       "(DOCKER_CERT_PATH) holds cert.pem but not key.pem"},
      {{{"ca.pem", certs + "/ca.pem"}}, "wants a TLS client certificate (OpenSSL"},
      {{{"ca.pem", certs + "/ca.pem"},
        {"cert.pem", other + "/cert.pem"},
        {"key.pem", other + "/key.pem"}},
       "refused the TLS client certificate "},
      {{{"ca.pem", other + "/ca.pem"},
        {"cert.pem", certs + "/cert.pem"},
        {"key.pem", certs + "/key.pem"}},
       "failed: SSL certificate problem"},
      // This side's files, not the Engine, are at fault.
      {{{"ca.pem", certs + "/ca.pem"},
        {"cert.pem", certs + "/cert.pem"},
        {"key.pem", other + "/key.pem"}},
       "cannot use the TLS files in "},
      {{{"ca.pem", certs + "/server.csr"},
        {"cert.pem", certs + "/cert.pem"},
        {"key.pem", certs + "/key.pem"}},
       "cannot use the TLS files in "},
  };
  for (const Case& test : cases) {
    ScopedEnv cert_path("DOCKER_CERT_PATH", with_files(test.files));
    ExpectOneLineError(RunStrata({"history", "docker-daemon:strata-fixture/multi:1"}), test.error);
  }

  // Podman's variable takes no TLS: the line says what does work.
  ScopedEnv container_host("CONTAINER_HOST", host);
  ExpectOneLineError(RunStrata({"history", "podman:strata-fixture/multi:1"}),
                     "speaks TLS only: strata reaches Podman over a socket or plain TCP only");
}

TEST(EngineSource, FailuresSayWhatToDo) {
  REQUIRE_FIXTURES();
  DockerEngine engine;
  {
    ScopedEnv host("DOCKER_HOST", engine.host());
    ExpectOneLineError(RunStrata({"history", "strata-fixture/absent:1"}),
                       "has no image strata-fixture/absent:1: pull or build it first");
    // A name that is a file is still read as a file.
    ExpectOneLineError(RunStrata({"history", "absent.tar"}), "absent.tar: no such file");
  }
  {
    ScopedEnv host("DOCKER_HOST", "unix://" + TempDir() + "/docker.sock");
    ExpectOneLineError(RunStrata({"history", "strata-fixture/multi:1"}),
                       "the Docker daemon is not running");
  }
  {
    ScopedEnv host("DOCKER_HOST", "npipe:////./pipe/docker_engine");
    ExpectOneLineError(RunStrata({"history", "docker-daemon:app"}),
                       "is not supported: strata reaches the Engine through unix://, tcp:// or "
                       "ssh:// only");
  }
}

// The daemon's socket is root's (mode 0660); another user is refused.
TEST(EngineSource, SocketPermission) {
  REQUIRE_FIXTURES();
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to run strata as another user";
  DockerEngine engine;
  std::string output;
  int code = RunShell("DOCKER_HOST=" + engine.host() +
                          " setpriv --reuid=65534 --regid=65534 --clear-groups " + STRATA_BINARY +
                          " history strata-fixture/multi:1 2>&1 >/dev/null",
                      &output);
  EXPECT_EQ(code, 2) << output;
  EXPECT_EQ(output, "strata: error: permission denied on " + engine.socket() +
                        ": add your user to the docker group or run strata as root\n");
}

// Docker contexts as the docker client makes them (docker context create,
// docker context use) in a client configuration of the test's own: the
// chosen one's host and TLS files are used, DOCKER_CONTEXT chooses another,
// and DOCKER_HOST wins over both.
TEST(EngineSource, DockerContexts) {
  REQUIRE_FIXTURES();
  std::string certs = TempDir();
  MakeEngineTlsFiles(certs);
  std::string host = "tcp://127.0.0.1:" + std::to_string(FreePort());
  DockerEngine engine({"-H", host, "--tlsverify", "--tlscacert", certs + "/ca.pem", "--tlscert",
                       certs + "/server-cert.pem", "--tlskey", certs + "/server-key.pem"});
  std::string archive = FixturesDir() + "/multi.docker.tar";
  MustRun(engine.Docker("load -q -i " + archive));
  // A name no other Engine holds: only this one can answer for it.
  std::string image = "docker-daemon:strata-context/multi:1";
  MustRun(engine.Docker("tag strata-fixture/multi:1 strata-context/multi:1"));

  std::string config = TempDir();
  ScopedEnv docker_config("DOCKER_CONFIG", config);
  ScopedEnv no_host("DOCKER_HOST", "");
  ScopedEnv no_context("DOCKER_CONTEXT", "");
  ScopedEnv no_verify("DOCKER_TLS_VERIFY", "");
  std::string tls_files =
      ",ca=" + certs + "/ca.pem,cert=" + certs + "/cert.pem,key=" + certs + "/key.pem";
  MustRun("docker context create remote --docker host=" + host + tls_files);
  MustRun("docker context create plain --docker host=" + host);
  MustRun("docker context create over-ssh --docker host=ssh://build@engine.example");
  MustRun("docker context use remote");

  EXPECT_EQ(Json("audit", image), Json("audit", archive));
  {
    ScopedEnv context("DOCKER_CONTEXT", "plain");
    ExpectOneLineError(RunStrata({"history", image}),
                       "(Docker context \"plain\") speaks TLS only: give the context its files "
                       "(docker context update plain --docker");
  }
  {
    // Reached through ssh (see engine_ssh_test.cc); nothing is run here.
    ScopedEnv context("DOCKER_CONTEXT", "over-ssh");
    EngineEndpoint endpoint = FindEngine(Engine::kDocker);
    EXPECT_EQ(endpoint.display, "ssh://build@engine.example (Docker context \"over-ssh\")");
    EXPECT_EQ(endpoint.command,
              (std::vector<std::string>{"ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=40",
                                        "-T", "-l", "build", "--", "engine.example", "docker",
                                        "system", "dial-stdio"}));
  }
  {
    // A scheme docker has no more (its context create refuses it now),
    // written as docker keeps a context.
    std::string id = Sha256Of("odd").substr(7);
    WriteFile(config + "/contexts/meta/" + id + "/meta.json",
              R"({"Name":"odd","Metadata":{},"Endpoints":{"docker":{"Host":"fd://"}}})");
    ScopedEnv context("DOCKER_CONTEXT", "odd");
    ExpectOneLineError(RunStrata({"history", image}),
                       "the Docker context \"odd\" (DOCKER_CONTEXT) reaches the Engine at fd://, "
                       "which strata does not support: it reaches the Engine through unix://, "
                       "tcp:// or ssh:// only");
  }
  {
    ScopedEnv context("DOCKER_CONTEXT", "absent");
    ExpectOneLineError(RunStrata({"history", image}),
                       "the Docker context \"absent\" (DOCKER_CONTEXT) does not exist");
  }
  {
    ScopedEnv context("DOCKER_CONTEXT", "default");  // docker's own: the default socket.
    EXPECT_EQ(FindEngine(Engine::kDocker).display, "unix:///var/run/docker.sock");
  }
  ScopedEnv docker_host("DOCKER_HOST", engine.host());
  ScopedEnv context("DOCKER_CONTEXT", "over-ssh");
  EXPECT_EQ(Json("history", image), Json("history", archive));
}

// diff names the Engine an image came from, as audit does: in the table's
// image line and in JSON, "" for an image read from a file.
TEST(EngineSource, DiffNamesTheEngine) {
  REQUIRE_FIXTURES();
  std::string archive = FixturesDir() + "/multi.docker.tar";
  MockEngine engine("tcp", "app:1", archive, "plain");
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(engine.port());
  ScopedEnv host("DOCKER_HOST", endpoint);

  RunResult table = RunStrata({"diff", archive, "docker-daemon:app:1"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(" · docker-daemon at " + endpoint + " · "), std::string::npos)
      << table.out;
  std::string line_a = table.out.substr(0, table.out.find('\n'));
  EXPECT_EQ(line_a.find(" at "), std::string::npos) << line_a;

  RunResult json_run = RunStrata({"diff", "--format", "json", archive, "docker-daemon:app:1"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  nlohmann::json diff = nlohmann::json::parse(json_run.out);
  EXPECT_EQ(diff["a"]["endpoint"], "");
  EXPECT_EQ(diff["b"]["endpoint"], endpoint);
}

// DOCKER_TLS_VERIFY at an Engine that speaks plain HTTP.
TEST(EngineSource, TlsAtAPlainEngine) {
  REQUIRE_FIXTURES();
  std::string certs = TempDir();
  MakeEngineTlsFiles(certs);
  MockEngine engine("tcp", "app:1", FixturesDir() + "/multi.docker.tar", "plain");
  ScopedEnv verify("DOCKER_TLS_VERIFY", "1");
  ScopedEnv cert_path("DOCKER_CERT_PATH", certs);
  ScopedEnv host("DOCKER_HOST", "tcp://127.0.0.1:" + std::to_string(engine.port()));
  RunResult result = RunStrata({"history", "docker-daemon:app:1"});
  ExpectOneLineError(result, "TLS with the Docker daemon at tcp://127.0.0.1:");
  ExpectOneLineError(result, "check that it listens with TLS");
}

// A tcp:// address without a port gets docker's: 2376 with TLS, else
// 2375; DOCKER_TLS alone asks for TLS without checking the server.
TEST(EngineSource, TcpDefaultPorts) {
  std::string certs = TempDir();
  MakeEngineTlsFiles(certs);
  ScopedEnv cert_path("DOCKER_CERT_PATH", certs);
  ScopedEnv verify("DOCKER_TLS_VERIFY", "");
  ScopedEnv tls("DOCKER_TLS", "");
  ScopedEnv host("DOCKER_HOST", "tcp://[::1]");
  EXPECT_EQ(FindEngine(Engine::kDocker).base_url, "http://[::1]:2375");
  {
    ScopedEnv verify_on("DOCKER_TLS_VERIFY", "1");
    EngineEndpoint endpoint = FindEngine(Engine::kDocker);
    EXPECT_EQ(endpoint.base_url, "https://[::1]:2376");
    EXPECT_TRUE(endpoint.tls.verify_server);
    EXPECT_EQ(endpoint.tls.ca, certs + "/ca.pem");
    EXPECT_EQ(endpoint.tls.key, certs + "/key.pem");
  }
  {
    ScopedEnv tls_on("DOCKER_TLS", "1");
    ScopedEnv other_host("DOCKER_HOST", "tcp://engine.example:4243/");
    EngineEndpoint endpoint = FindEngine(Engine::kDocker);
    EXPECT_EQ(endpoint.base_url, "https://engine.example:4243");
    EXPECT_FALSE(endpoint.tls.verify_server);
    EXPECT_EQ(endpoint.tls.ca, "");
    EXPECT_EQ(endpoint.tls.cert, certs + "/cert.pem");
  }
  // What no Engine can be at: one line, before any connection.
  for (const auto& [address, error] : std::vector<std::pair<std::string, std::string>>{
           {"tcp://127.0.0.1:99999", "the port \"99999\" is not a number from 1 to 65535"},
           {"tcp://127.0.0.1:0", "the port \"0\" is not a number from 1 to 65535"},
           {"tcp://127.0.0.1:abc", "the port \"abc\" is not a number from 1 to 65535"},
           {"tcp://:2375", "no host before the port"}}) {
    ScopedEnv bad_host("DOCKER_HOST", address);
    try {
      FindEngine(Engine::kDocker);
      ADD_FAILURE() << address;
    } catch (const Error& failure) {
      EXPECT_EQ(std::string(failure.what()), "DOCKER_HOST=" + address + ": " + error);
    }
  }

  // Podman's variable takes no TLS settings of docker's.
  ScopedEnv verify_on("DOCKER_TLS_VERIFY", "1");
  ScopedEnv container_host("CONTAINER_HOST", "tcp://127.0.0.1:8080");
  EXPECT_EQ(FindEngine(Engine::kPodman).base_url, "http://127.0.0.1:8080");
}

TEST(EngineSource, Engine25ExportLayout) {
  REQUIRE_FIXTURES();
  std::string archive = FixturesDir() + "/semantics.docker25.tar";
  MockEngine engine("unix", "strata-fixture/semantics:1", archive, "plain");
  ScopedEnv host("DOCKER_HOST", "unix://" + engine.socket());
  EXPECT_EQ(Json("audit", "strata-fixture/semantics:1"), Json("audit", archive));
}

TEST(EngineSource, TcpDockerHost) {
  REQUIRE_FIXTURES();
  std::string archive = FixturesDir() + "/multi.docker.tar";
  MockEngine engine("tcp", "app:1", archive, "plain");
  ScopedEnv host("DOCKER_HOST", "tcp://127.0.0.1:" + std::to_string(engine.port()));
  EXPECT_EQ(Json("audit", "docker-daemon:app:1"), Json("audit", archive));
}

// An Engine with API 1.48 (Engine 28) is asked for the platform wanted;
// the mock refuses an export without it.
TEST(EngineSource, PlatformQueryFromApi148) {
  REQUIRE_FIXTURES();
  std::string archive = FixturesDir() + "/multi.docker.tar";
  MockEngine engine("unix", "app:1", archive, "platform");
  ScopedEnv host("DOCKER_HOST", "unix://" + engine.socket());
  RunResult result =
      RunStrata({"audit", "--format", "json", "-q", "--platform", "linux/amd64", "app:1"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(WithoutSource(result.out), Json("audit", archive));
  ExpectOneLineError(RunStrata({"history", "--platform", "linux/arm64", "app:1"}),
                     "cannot export the image app:1: wrong platform");
}

// A new user's DOCKER_HOST named a registry's port: strata said the daemon
// had no such image. What answers there is not an Engine, and the line
// says so, naming DOCKER_HOST and what answered.
TEST(EngineSource, DockerHostAtARegistryIsNotAnEngine) {
  std::string dir = TempDir();
  int port = FreePort();
  WriteFile(dir + "/config.yml",
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            "storage:\n  filesystem:\n    rootdirectory: " +
                dir + "/data\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n");
  Process registry({"docker-registry", "serve", dir + "/config.yml"}, dir + "/registry.log");
  ASSERT_TRUE(WaitUntil([&] { return CanConnectTcp(port); }))
      << ReadFileText(dir + "/registry.log");
  std::string host = "tcp://127.0.0.1:" + std::to_string(port);
  ScopedEnv docker_host("DOCKER_HOST", host);
  RunResult result = RunStrata({"audit", "docker-daemon:app:1"});
  ExpectOneLineError(result,
                     "DOCKER_HOST=" + host + " is not a Docker Engine: a registry answered");
  ExpectOneLineError(result, "(HTTP 404, Docker-Distribution-Api-Version: registry/2.0)");
  EXPECT_EQ(result.err.find("has no image"), std::string::npos) << result.err;
}

// Any other HTTP server, here at CONTAINER_HOST: named by its Server header.
TEST(EngineSource, ContainerHostAtAWebServerIsNotPodman) {
  std::string dir = TempDir();
  int port = FreePort();
  Process server({"python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir,
                  std::to_string(port)},
                 TempDir() + "/server.log");
  ASSERT_TRUE(WaitUntil([&] { return CanConnectTcp(port); }));
  std::string host = "tcp://127.0.0.1:" + std::to_string(port);
  ScopedEnv container_host("CONTAINER_HOST", host);
  RunResult result = RunStrata({"history", "podman:app:1"});
  ExpectOneLineError(result, "CONTAINER_HOST=" + host +
                                 " is not a Podman service: an HTTP server answered GET /_ping "
                                 "(HTTP 404, Server: SimpleHTTP/");
  ExpectOneLineError(result, "set CONTAINER_HOST to the Podman service's socket or address");
}

// A server of another protocol at DOCKER_HOST's port, which speaks first
// (an SSH server's banner): curl said "Received HTTP/0.9 when not
// allowed"; the line says the Engine did not answer in HTTP, and quotes it.
TEST(EngineSource, DockerHostAtAServerThatIsNotHttp) {
  int port = FreePort();
  std::string dir = TempDir();
  Process server({"python3", "-c",
                  "import socket, sys\n"
                  "listener = socket.create_server(('127.0.0.1', int(sys.argv[1])))\n"
                  "while True:\n"
                  "    peer, _ = listener.accept()\n"
                  "    peer.sendall(b'SSH-2.0-OpenSSH_9.2p1 Debian-2\\r\\n')\n"
                  "    peer.close()\n",
                  std::to_string(port)},
                 dir + "/server.log");
  ASSERT_TRUE(WaitUntil([&] { return CanConnectTcp(port); })) << ReadFileText(dir + "/server.log");
  std::string host = "tcp://127.0.0.1:" + std::to_string(port);
  ScopedEnv docker_host("DOCKER_HOST", host);
  ExpectOneLineError(RunStrata({"history", "docker-daemon:app:1"}),
                     "the Docker daemon at " + host +
                         " did not answer in HTTP: it sent \"SSH-2.0-OpenSSH_9.2p1 Debian-2\"; set "
                         "DOCKER_HOST to the Engine's socket or address");
}

// A socket whose peer takes the connection and says nothing (a process
// stuck, or a socket that is not an Engine's): curl waited a minute and
// said "Operation too slow"; the Engine gets 30 s for its first answer,
// and the line says so.
TEST(EngineSource, ASocketThatNeverAnswersIsGivenUpOn) {
  std::string dir = TempDir();
  std::string socket = dir + "/silent.sock";
  Process server({"python3", "-c",
                  "import socket, sys, time\n"
                  "listener = socket.socket(socket.AF_UNIX)\n"
                  "listener.bind(sys.argv[1])\n"
                  "listener.listen(8)\n"
                  "held = []\n"
                  "while True:\n"
                  "    held.append(listener.accept()[0])\n",
                  socket},
                 dir + "/server.log");
  ASSERT_TRUE(WaitUntil([&] { return CanConnectUnix(socket); }))
      << ReadFileText(dir + "/server.log");
  ScopedEnv docker_host("DOCKER_HOST", "unix://" + socket);
  ExpectOneLineError(RunStrata({"history", "docker-daemon:app:1"}),
                     "cannot reach the Docker daemon at unix://" + socket +
                         ": it took the connection but did not answer within 30 s; check that "
                         "unix://" +
                         socket + " is an Engine's socket and that the Engine is not stuck");
}

// A real Podman: the fixture loaded into a store of the test's own, and
// its API service on a socket of the test's own.
TEST(EngineSource, PodmanService) {
  REQUIRE_FIXTURES();
  std::string dir = TempDir();
  std::string podman = "podman --root " + dir + "/root --runroot " + dir + "/run --tmpdir " + dir +
                       "/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file";
  std::string archive = FixturesDir() + "/multi.docker.tar";
  MustRun(podman + " load -q -i " + archive);
  std::string socket = dir + "/podman.sock";
  {
    Process service({"sh", "-c", "exec " + podman + " system service --time=0 unix://" + socket},
                    dir + "/service.log");
    ASSERT_TRUE(WaitUntil([&] { return CanConnectUnix(socket); }))
        << ReadFileText(dir + "/service.log");
    ScopedEnv host("CONTAINER_HOST", "unix://" + socket);
    EXPECT_EQ(Json("audit", "podman:strata-fixture/multi:1"), Json("audit", archive));
    EXPECT_EQ(Json("history", "podman:localhost/strata-fixture/multi:1"), Json("history", archive));
  }
  std::error_code error;
  std::filesystem::remove_all(dir, error);
}

// Podman's Docker-compatible socket, found through CONTAINER_HOST.
TEST(EngineSource, PodmanSocket) {
  REQUIRE_FIXTURES();
  std::string archive = FixturesDir() + "/multi.docker25.tar";
  MockEngine engine("unix", "localhost/app:1", archive, "plain");
  ScopedEnv host("CONTAINER_HOST", "unix://" + engine.socket());
  EXPECT_EQ(Json("audit", "podman:localhost/app:1"), Json("audit", archive));
  ExpectOneLineError(RunStrata({"history", "podman:localhost/other:1"}),
                     "Podman has no image localhost/other:1");
}

TEST(EngineSource, InterruptedExport) {
  REQUIRE_FIXTURES();
  MockEngine engine("unix", "app:1", FixturesDir() + "/multi.docker.tar", "interrupt");
  ScopedEnv host("DOCKER_HOST", "unix://" + engine.socket());
  ExpectOneLineError(RunStrata({"history", "app:1"}), "was cut off");
}

TEST(EngineSource, SaveFromTheDaemon) {
  REQUIRE_FIXTURES();
  std::string archive = FixturesDir() + "/multi.docker.tar";
  MockEngine engine("unix", "app:1", archive, "plain");
  ScopedEnv host("DOCKER_HOST", "unix://" + engine.socket());
  std::string saved = TempDir() + "/app.oci.tar";
  std::string online = Json("audit", "app:1");
  RunResult result = RunStrata({"audit", "-q", "--save", saved, "app:1"});
  EXPECT_EQ(result.exit_code, 0) << result.err;

  // The saved archive is an OCI archive other tools read, holding the
  // same layers (the manifest is new: docker save has none).
  MustRun("skopeo inspect oci-archive:" + saved);
  nlohmann::json saved_audit = nlohmann::json::parse(Json("audit", saved));
  nlohmann::json daemon_audit = nlohmann::json::parse(online);
  saved_audit["image"].erase("manifest_digest");
  daemon_audit["image"].erase("manifest_digest");
  EXPECT_EQ(saved_audit["layers"].size(), daemon_audit["layers"].size());
  for (size_t i = 0; i < saved_audit["layers"].size(); ++i) {
    EXPECT_EQ(saved_audit["layers"][i]["diff_id"], daemon_audit["layers"][i]["diff_id"]);
    EXPECT_EQ(saved_audit["layers"][i]["added"], daemon_audit["layers"][i]["added"]);
  }
  EXPECT_EQ(saved_audit["findings"], daemon_audit["findings"]);
  EXPECT_EQ(saved_audit["summary"], daemon_audit["summary"]);
}

}  // namespace
}  // namespace strata
