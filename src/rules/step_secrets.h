// Reading a history step's command line (its created_by) for secrets that
// no token pattern knows: the build arguments recorded before the command,
// and the passwords typed into it, which their place on the command line
// gives away rather than their shape: NAME=VALUE where NAME says secret,
// mysql -pVALUE, --password VALUE, curl -u USER:PASSWORD, sshpass -p
// VALUE, redis-cli -a VALUE, an "Authorization: Bearer VALUE" header. The
// same reading hides and reports those typed into an image's CMD and
// ENTRYPOINT. Known token formats anywhere in a step are the content
// patterns' (ContentScanner::ScanText).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// A build argument a step recorded before its command: "|2 A=1 B=2 /bin/sh
// -c …" (legacy builder) or "RUN |2 A=1 B=2 /bin/sh -c … # buildkit".
struct BuildArg {
  std::string name;
  std::string value;
  size_t value_begin = 0;  // Where |value| is in the step.
};

// The build arguments |created_by| recorded, in order; none when it has
// no "|N" prefix.
std::vector<BuildArg> BuildArgs(std::string_view created_by);

// Where the command of |created_by| begins: after BuildKit's "RUN ", the
// recorded build arguments and the legacy builder's "/bin/sh -c #(nop) ".
size_t CommandBegin(std::string_view created_by);

// A password typed into a step's command line.
struct StepSecret {
  size_t begin = 0;  // Its bytes in the step; quotes around it excluded.
  size_t end = 0;
  // What stands before it, to name it without it: "DB_PASSWORD=",
  // "mysql -p", "curl -u admin:", "sshpass -p ".
  std::string passed_as;
  std::string name;  // For NAME=VALUE, NAME; "" for the other forms.
};

// The passwords typed into |created_by|, in order, none overlapping, none
// among the recorded build arguments (see BuildArgs). The command line is
// read the way sh splits it (quotes, escapes, ;, &&, |, $(…), redirections,
// here-documents) and quoted command lines within it (sh -c "…", su -c
// '…') the same way; nothing is expanded, so "$DB_PASSWORD" stays a
// reference. An exec-form instruction (CMD ["mysqld", "--password=…"]) is
// read as its words, and an ENV, ARG or LABEL instruction as words split
// at blanks alone, since no shell reads them: ENV A=x;y sets A to "x;y".
std::vector<StepSecret> FindStepSecrets(std::string_view created_by);

// A password typed into an argument of an image's ENTRYPOINT or CMD.
struct ArgvSecret {
  bool in_cmd = false;  // In CMD; otherwise in ENTRYPOINT.
  size_t argument = 0;  // Its argument's index there.
  StepSecret secret;    // Its begin and end are bytes of that argument.
};

// The passwords typed into an image's |entrypoint| and |cmd|, ENTRYPOINT's
// first, each in order, none overlapping. Each is read alone, as
// FindStepSecrets reads an exec-form step (CMD ["mysql", "-p…"]), and CMD
// as ENTRYPOINT's arguments too, as they run (ENTRYPOINT ["app"] with CMD
// ["--password", "…"]); passed_as names the command as read.
std::vector<ArgvSecret> FindArgvSecrets(const std::vector<std::string>& entrypoint,
                                        const std::vector<std::string>& cmd);

// |argv|, an image's CMD (|cmd|) or ENTRYPOINT, with the passwords of
// |secrets| (FindArgvSecrets) that are in it replaced by their redacted
// form.
std::vector<std::string> RedactArgvSecrets(std::vector<std::string> argv,
                                           const std::vector<ArgvSecret>& secrets, bool cmd);

// |argv| with the passwords typed into it, read alone, redacted.
std::vector<std::string> RedactArgvSecrets(std::vector<std::string> argv);

// |created_by| with the bytes of each of |secrets| (found in it, none
// overlapping) replaced by their redacted form (Redact).
std::string RedactStepSecrets(std::string_view created_by, std::vector<StepSecret> secrets);

}  // namespace strata
