#pragma once
// tweetctl's dispatch table: every command, by group, in the order --help lists them. Each group's
// file defines its handlers and returns its rows; Commands() joins the groups. Adding a command to a
// group touches that group's file (handler + row) and README.md's table; a new group adds a file, a
// line here and in commands.cc, and the file in CMakeLists.txt.

#include <string>
#include <vector>

#include "tools/tweetctl/command.h"

namespace tweetstream::tweetctl {

std::vector<Command> StatusCommands();     // status_commands.cc: status, watch
std::vector<Command> LifecycleCommands();  // lifecycle_commands.cc: pause, resume, stop, restart
std::vector<Command> ConfigCommands();     // config_commands.cc: config get|validate|set
std::vector<Command> SourceCommands();     // source_commands.cc: rules, cursor
std::vector<Command> SinkCommands();       // sink_commands.cc: offsets, dlq
std::vector<Command> MetricsCommands();    // metrics_commands.cc: metrics, health
std::vector<Command> DashboardCommands();  // dashboard_command.cc: dashboard

// All commands (the groups above, then `help`), in --help's order. Built once; any thread.
const std::vector<Command>& Commands();

// The command named `name`, or null.
const Command* FindCommand(const std::string& name);

// The usage text's list of commands, derived from Commands(): each UsageLine as
//   "  <synopsis>" padded to column 41, then the help's first line, the others indented to 41;
// a synopsis too long for that puts the help on the following lines. A line that equals the one
// before (commands sharing it) is printed once.
std::string CommandList();

// The --help text: synopsis, commands (CommandList), flags, environment, exit codes.
std::string UsageText();

}  // namespace tweetstream::tweetctl
