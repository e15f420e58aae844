// The machine a load test ran on, for its report: name, CPUs, CPU model, kernel, our version.
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "bridge/loadtest/report.hpp"

namespace ato::bridge {

LoadtestHost this_host() {
  LoadtestHost host;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) host.name = name;
  host.cpus = static_cast<int>(std::thread::hardware_concurrency());
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.starts_with("model name")) {
      const auto value = line.find_first_not_of(' ', line.find(':') + 1);
      if (line.find(':') != std::string::npos && value != std::string::npos)
        host.cpu_model = line.substr(value);
      break;
    }
  struct utsname uts {};
  if (::uname(&uts) == 0) host.kernel = uts.release;
  host.ato_bridge = ATO_VERSION;
  return host;
}

}  // namespace ato::bridge
