#include "task_cpu.hpp"

#include <dirent.h>

#include <cstdio>
#include <string>

namespace load {

std::optional<std::uint64_t> process_cpu_ns() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr)
    return std::nullopt;
  std::uint64_t total = 0;
  bool seen = false;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.')
      continue;
    const std::string path = std::string("/proc/self/task/") + e->d_name + "/schedstat";
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr)
      continue;  // the thread went away between readdir and open
    unsigned long long ns = 0;
    if (std::fscanf(f, "%llu", &ns) == 1) {
      total += ns;
      seen = true;
    }
    std::fclose(f);
  }
  ::closedir(dir);
  if (!seen)
    return std::nullopt;
  return total;
}

}  // namespace load
