// SPDX-License-Identifier: Apache-2.0
// OwnerResolver on a fake procfs tree: <root>/<pid>/fd/<n> symlinks to "socket:[inode]" and
// <root>/<pid>/comm files, as the kernel lays them out.
#include "kernel/owners.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace port_exporter {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FakeProcfs {
 public:
  FakeProcfs() {
    char pattern[] = "/tmp/owners_test.XXXXXX";
    root_ = mkdtemp(pattern);
    fs::create_directories(root_ / "net");  // non-pid entries are ignored
    fs::create_directory_symlink(root_ / "100", root_ / "self");
  }
  ~FakeProcfs() { fs::remove_all(root_); }

  void add_process(int pid, const std::string& comm) {
    fs::create_directories(root_ / std::to_string(pid) / "fd");
    add_comm(pid, comm);
  }
  void add_comm(int pid, const std::string& comm) {
    std::ofstream(root_ / std::to_string(pid) / "comm") << comm << "\n";
  }
  void add_fd(int pid, int fd, const std::string& target) {
    fs::create_symlink(target, root_ / std::to_string(pid) / "fd" / std::to_string(fd));
  }
  void add_netns(int pid, std::uint64_t inode) {
    fs::create_directories(root_ / std::to_string(pid) / "ns");
    fs::create_symlink("net:[" + std::to_string(inode) + "]",
                       root_ / std::to_string(pid) / "ns" / "net");
  }
  // The owner of <pid> is the process's effective uid, as in procfs (chown: root only; make
  // test runs as root).
  void set_uid(int pid, uid_t uid) {
    const std::string dir = (root_ / std::to_string(pid)).string();
    ASSERT_EQ(::chown(dir.c_str(), uid, static_cast<gid_t>(-1)), 0)
        << dir << ": " << std::strerror(errno);
  }
  void add_exe(int pid, const std::string& target) {
    fs::create_symlink(target, root_ / std::to_string(pid) / "exe");
  }
  void remove(const fs::path& relative) { fs::remove_all(root_ / relative); }
  std::string root() const { return root_.string(); }

 private:
  fs::path root_;
};

class OwnerResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    procfs_.add_process(100, "nginx");
    procfs_.add_fd(100, 0, "/dev/null");
    procfs_.add_fd(100, 3, "socket:[1001]");
    procfs_.add_fd(100, 4, "socket:[1002]");
    procfs_.add_process(200, "sshd");
    procfs_.add_fd(200, 1, "pipe:[77]");
    procfs_.add_fd(200, 5, "socket:[2001]");
    procfs_.add_fd(200, 6, "anon_inode:[eventfd]");
  }

  OwnerMap resolve(const std::vector<std::uint64_t>& inodes) {
    Result<OwnerMap> owners = resolver_.resolve(inodes);
    EXPECT_TRUE(owners.ok()) << owners.error();
    return owners.ok() ? owners.value() : OwnerMap{};
  }

  FakeProcfs procfs_;
  OwnerResolver resolver_{procfs_.root(), OwnerResolver::RootCheck::kAnyDirectory};
};

TEST_F(OwnerResolverTest, FindsPidAndProcessNameOfEachSocket) {
  const OwnerMap owners = resolve({1001, 2001, 1002});
  ASSERT_EQ(owners.size(), 3u);
  EXPECT_EQ(owners.at(1001).at(0).pid, 100);
  EXPECT_EQ(owners.at(1001).at(0).process, "nginx");
  EXPECT_EQ(owners.at(1002).at(0).pid, 100);
  EXPECT_EQ(owners.at(2001).at(0).pid, 200);
  EXPECT_EQ(owners.at(2001).at(0).process, "sshd");
  EXPECT_EQ(resolver_.walks(), 1u);
}

TEST_F(OwnerResolverTest, SameOrSmallerSetCostsNoWalk) {
  resolve({1001, 2001});
  resolve({2001, 1001});
  const OwnerMap subset = resolve({2001});
  resolve({});
  EXPECT_EQ(resolver_.walks(), 1u);
  ASSERT_EQ(subset.size(), 1u);
  EXPECT_EQ(subset.at(2001).at(0).process, "sshd");
}

TEST_F(OwnerResolverTest, NewInodeTriggersAWalk) {
  resolve({1001});
  const OwnerMap owners = resolve({1001, 2001});
  EXPECT_EQ(resolver_.walks(), 2u);
  EXPECT_EQ(owners.size(), 2u);
}

TEST_F(OwnerResolverTest, UnknownInodeIsAbsentAndNotSearchedAgain) {
  EXPECT_THAT(resolve({9999}), IsEmpty());
  EXPECT_THAT(resolve({9999}), IsEmpty());
  EXPECT_EQ(resolver_.walks(), 1u);
  const OwnerMap owners = resolve({9999, 1001});
  EXPECT_EQ(owners.size(), 1u);
  EXPECT_EQ(resolver_.walks(), 2u);
}

TEST_F(OwnerResolverTest, InodeZeroIsNeverSearched) {
  EXPECT_THAT(resolve({0}), IsEmpty());
  EXPECT_EQ(resolver_.walks(), 0u);
}

TEST_F(OwnerResolverTest, VanishedProcessesAreSkipped) {
  procfs_.add_process(300, "gone");
  procfs_.remove("300/fd");  // exited between readdir and opening its fd directory
  procfs_.add_process(400, "racing");
  procfs_.add_fd(400, 7, "socket:[4001]");
  procfs_.remove("400/comm");  // exited after its fds were read
  const OwnerMap owners = resolve({2001, 4001});
  ASSERT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners.at(2001).at(0).pid, 200);
  EXPECT_EQ(owners.at(4001).at(0).pid, 400);
  EXPECT_EQ(owners.at(4001).at(0).process, "unknown");
}

TEST_F(OwnerResolverTest, ForgetsInodesNoLongerAskedForAfterAWalk) {
  resolve({1001});
  resolve({2001});  // a walk: 1001 is dropped from the cache
  resolve({1001});
  EXPECT_EQ(resolver_.walks(), 3u);
}

TEST_F(OwnerResolverTest, ASharedSocketListsEveryProcessHoldingIt) {
  procfs_.add_process(1, "systemd");
  procfs_.add_fd(1, 40, "socket:[2001]");  // socket activation: systemd keeps its copy
  const OwnerMap owners = resolve({2001});
  ASSERT_EQ(owners.at(2001).size(), 2u);
  EXPECT_EQ(owners.at(2001)[0], (Owner{1, "systemd", ""}));
  EXPECT_EQ(owners.at(2001)[1], (Owner{200, "sshd", ""}));
}

TEST_F(OwnerResolverTest, AnExecIsSeenWithoutAWalk) {
  resolve({2001});
  procfs_.remove("200/comm");
  procfs_.add_comm(200, "sleep");  // same pid, same fds, new program
  const OwnerMap owners = resolve({2001});
  EXPECT_EQ(owners.at(2001).at(0), (Owner{200, "sleep", ""}));
  EXPECT_EQ(resolver_.walks(), 1u);
}

TEST_F(OwnerResolverTest, AClosedCachedLinkTriggersAWalk) {
  resolve({2001});
  procfs_.remove("200/fd/5");  // sshd handed the socket to a child and closed it
  procfs_.add_process(201, "sshd-session");
  procfs_.add_fd(201, 3, "socket:[2001]");
  const OwnerMap owners = resolve({2001});
  EXPECT_EQ(resolver_.walks(), 2u);
  EXPECT_EQ(owners.at(2001).at(0), (Owner{201, "sshd-session", ""}));
}

TEST_F(OwnerResolverTest, NewProcessesAreScannedAfterTheRefreshPeriodWithoutAFullWalk) {
  resolve({2001});
  procfs_.add_process(300, "forked");
  procfs_.add_fd(300, 3, "socket:[2001]");  // inherited later: no cached link changed
  for (std::uint64_t i = 1; i < OwnerResolver::kRefreshEvery; ++i) {
    EXPECT_EQ(resolve({2001}).at(2001).size(), 1u);
  }
  const OwnerMap owners = resolve({2001});
  EXPECT_EQ(resolver_.walks(), 1u);
  ASSERT_EQ(owners.at(2001).size(), 2u);
  EXPECT_EQ(owners.at(2001)[0], (Owner{200, "sshd", ""}));
  EXPECT_EQ(owners.at(2001)[1], (Owner{300, "forked", ""}));
}

TEST_F(OwnerResolverTest, TheRefreshReadsOnlyProcessesStartedSinceTheLastScan) {
  resolve({2001});
  procfs_.add_fd(100, 9, "socket:[2001]");  // an old process got it (SCM_RIGHTS): not seen
  for (std::uint64_t i = 0; i < OwnerResolver::kRefreshEvery; ++i) resolve({2001});
  EXPECT_EQ(resolve({2001}).at(2001).size(), 1u);
  EXPECT_EQ(resolver_.walks(), 1u);
}

TEST_F(OwnerResolverTest, InvalidUtf8InAProcessNameIsRepaired) {
  procfs_.add_process(500, std::string("ev\xff\"il"));
  procfs_.add_fd(500, 3, "socket:[5001]");
  const OwnerMap owners = resolve({5001});
  EXPECT_EQ(owners.at(5001).at(0).process, "ev\xEF\xBF\xBD\"il");
}

TEST_F(OwnerResolverTest, ControlCharactersInAProcessNameAreReplaced) {
  // Any process may set its comm (prctl PR_SET_NAME) to ESC, CR or TAB bytes.
  procfs_.add_process(600, std::string("a\x1b[2Jb\rc\td\x7f"));
  procfs_.add_fd(600, 3, "socket:[6001]");
  const OwnerMap owners = resolve({6001});
  EXPECT_EQ(owners.at(6001).at(0).process,
            "a\xEF\xBF\xBD[2Jb\xEF\xBF\xBD"
            "c\xEF\xBF\xBD"
            "d\xEF\xBF\xBD");
}

TEST_F(OwnerResolverTest, ReadsTheExecutableKeepingDeleted) {
  procfs_.add_exe(100, "/usr/sbin/nginx");
  procfs_.add_exe(200, "/tmp/x/sshd (deleted)");
  const OwnerMap owners = resolve({1001, 2001});
  EXPECT_EQ(owners.at(1001).at(0), (Owner{100, "nginx", "/usr/sbin/nginx"}));
  EXPECT_EQ(owners.at(2001).at(0), (Owner{200, "sshd", "/tmp/x/sshd (deleted)"}));
}

TEST_F(OwnerResolverTest, AnUnreadableExecutableIsEmpty) {
  const OwnerMap owners = resolve({2001});  // no exe link: as without CAP_SYS_PTRACE
  EXPECT_EQ(owners.at(2001).at(0), (Owner{200, "sshd", ""}));
}

TEST(OwnerResolver, MissingProcfsIsAnError) {
  OwnerResolver resolver("/nonexistent/proc");
  const Result<OwnerMap> owners = resolver.resolve({1});
  ASSERT_FALSE(owners.ok());
  EXPECT_EQ(owners.error(),
            "owner lookup: /nonexistent/proc: cannot read: No such file or directory");
}

// A readable directory that is not procfs used to give every owner "unknown" silently.
TEST(OwnerResolver, DirectoryThatIsNotProcfsIsAnErrorAtEveryCall) {
  const std::string dir = ::testing::TempDir();
  const Result<bool> check = check_procfs(dir);
  ASSERT_FALSE(check.ok());
  EXPECT_THAT(check.error(), HasSubstr(dir + " is not a procfs mount (filesystem type 0x"));
  OwnerResolver resolver(dir);
  for (int call = 0; call < 2; ++call) {
    const Result<OwnerMap> owners = resolver.resolve({});
    ASSERT_FALSE(owners.ok());
    EXPECT_EQ(owners.error(), "owner lookup: " + check.error());
  }
}

TEST(OwnerResolver, RealProcIsProcfs) {
  const Result<bool> check = check_procfs("/proc");
  EXPECT_TRUE(check.ok()) << check.error();
  EXPECT_TRUE(OwnerResolver("/proc").resolve({}).ok());
}

// Processes 100 and 200 in namespace 111 (the host here), 300 and 301 in a pod's 222.
class NarrowedOwnerLookupTest : public OwnerResolverTest {
 protected:
  void SetUp() override {
    OwnerResolverTest::SetUp();
    procfs_.add_netns(100, 111);
    procfs_.add_netns(200, 111);
    procfs_.add_process(300, "pod-app");
    procfs_.add_netns(300, 222);
    procfs_.add_fd(300, 3, "socket:[3001]");
    procfs_.add_process(301, "pod-sidecar");
    procfs_.add_netns(301, 222);
    resolver_.set_host_netns(111);
  }
  OwnerMap resolve_sockets(const std::vector<SocketRef>& sockets) {
    Result<OwnerMap> owners = resolver_.resolve_sockets(sockets);
    EXPECT_TRUE(owners.ok()) << owners.error();
    return owners.ok() ? owners.value() : OwnerMap{};
  }
};

TEST_F(NarrowedOwnerLookupTest, ReadsOnlyTheProcessesOfTheSocketsNamespace) {
  const OwnerMap owners = resolve_sockets({{3001, 222}});
  EXPECT_EQ(owners.at(3001).at(0), (Owner{300, "pod-app", ""}));
  EXPECT_EQ(resolver_.processes_scanned(), 2u);  // 300 and 301, not 100 and 200
  EXPECT_EQ(resolver_.full_walks(), 0u);
}

TEST_F(NarrowedOwnerLookupTest, HostSocketsAreLookedForInTheHostNamespace) {
  const OwnerMap owners = resolve_sockets({{2001, 0}});
  EXPECT_EQ(owners.at(2001).at(0), (Owner{200, "sshd", ""}));
  EXPECT_EQ(resolver_.processes_scanned(), 2u);  // 100 and 200
}

TEST_F(NarrowedOwnerLookupTest, ASocketHeldOutsideItsNamespaceIsFoundByAFullWalk) {
  // Created in the pod's namespace, passed to a host process (SCM_RIGHTS): none of the
  // pod's processes holds it.
  const OwnerMap owners = resolve_sockets({{1001, 222}});
  EXPECT_EQ(owners.at(1001).at(0), (Owner{100, "nginx", ""}));
  EXPECT_EQ(resolver_.full_walks(), 1u);
  EXPECT_EQ(resolver_.processes_scanned(), 4u);  // each process once
}

TEST_F(NarrowedOwnerLookupTest, AProcessWhoseNamespaceIsUnreadableIsAlwaysACandidate) {
  procfs_.add_process(400, "other-user");  // no ns/net: no CAP_SYS_PTRACE over it
  procfs_.add_fd(400, 3, "socket:[4001]");
  const OwnerMap owners = resolve_sockets({{4001, 222}});
  EXPECT_EQ(owners.at(4001).at(0).pid, 400);
  EXPECT_EQ(resolver_.full_walks(), 0u);
}

// The host namespace 111 of NarrowedOwnerLookupTest holds, besides 100 (nginx) and 200
// (sshd), root's 1 (systemd) and three processes of uid 1000: 500 and 501 (a user's
// shell and editor), and 502 (the user's server, listening on 5001).
class UidFirstOwnerLookupTest : public NarrowedOwnerLookupTest {
 protected:
  void SetUp() override {
    NarrowedOwnerLookupTest::SetUp();
    add(1, "systemd", 0);
    add(500, "bash", 1000);
    add(501, "vim", 1000);
    add(502, "server", 1000);
    procfs_.add_fd(502, 3, "socket:[5001]");
    for (const int pid : {100, 200, 300, 301}) procfs_.set_uid(pid, 0);
  }
  void add(int pid, const std::string& comm, uid_t uid) {
    procfs_.add_process(pid, comm);
    procfs_.add_netns(pid, 111);
    procfs_.set_uid(pid, uid);
  }
};

TEST_F(UidFirstOwnerLookupTest, ReadsTheProcessesOfTheSocketsUidFirst) {
  const OwnerMap owners = resolve_sockets({{5001, 0, 1000}});
  EXPECT_EQ(owners.at(5001).at(0), (Owner{502, "server", ""}));
  EXPECT_EQ(resolver_.processes_scanned(), 3u);  // 500, 501, 502: not 1, 100, 200
  EXPECT_EQ(resolver_.full_walks(), 0u);
}

TEST_F(UidFirstOwnerLookupTest, ASocketHeldByAnotherUidIsFoundInTheRestOfItsNamespace) {
  // Created by a user (uid 1000), handed to root's nginx over a unix socket (SCM_RIGHTS),
  // or created before a setuid: no process of uid 1000 holds it.
  procfs_.add_fd(100, 9, "socket:[7001]");
  const OwnerMap owners = resolve_sockets({{7001, 0, 1000}});
  ASSERT_EQ(owners.at(7001).size(), 1u);
  EXPECT_EQ(owners.at(7001).at(0), (Owner{100, "nginx", ""}));
  EXPECT_EQ(resolver_.processes_scanned(), 6u);  // 500-502 first, then 1, 100, 200
  EXPECT_EQ(resolver_.full_walks(), 0u);
}

TEST_F(UidFirstOwnerLookupTest, ASocketOfAnotherUidOutsideItsNamespaceIsFoundByAFullWalk) {
  procfs_.add_fd(301, 9, "socket:[7002]");  // a host socket (uid 1000) held in the pod
  const OwnerMap owners = resolve_sockets({{7002, 0, 1000}});
  EXPECT_EQ(owners.at(7002).at(0), (Owner{301, "pod-sidecar", ""}));
  EXPECT_EQ(resolver_.full_walks(), 1u);
  EXPECT_EQ(resolver_.processes_scanned(), 8u);  // each process once
}

TEST_F(UidFirstOwnerLookupTest, OtherHoldersInTheNamespaceAreAddedAtTheNextCall) {
  // Socket activation: systemd (root) created 5002 and handed it to the user's server,
  // which runs as uid 1000; the socket's uid is root's.
  procfs_.add_fd(1, 40, "socket:[5002]");
  procfs_.add_fd(502, 4, "socket:[5002]");
  const OwnerMap first = resolve_sockets({{5002, 0, 0}});
  EXPECT_EQ(first.at(5002), (std::vector<Owner>{{1, "systemd", ""}}));
  EXPECT_EQ(resolver_.processes_scanned(), 3u);  // 1, 100, 200
  EXPECT_EQ(resolver_.completions(), 0u);

  const OwnerMap second = resolve_sockets({{5002, 0, 0}});
  EXPECT_EQ(second.at(5002), (std::vector<Owner>{{1, "systemd", ""}, {502, "server", ""}}));
  EXPECT_EQ(resolver_.processes_scanned(), 6u);  // + 500, 501, 502
  EXPECT_EQ(resolver_.completions(), 1u);
  EXPECT_EQ(resolver_.walks(), 1u);

  EXPECT_EQ(resolve_sockets({{5002, 0, 0}}), second);  // complete: nothing read any more
  EXPECT_EQ(resolver_.processes_scanned(), 6u);
  EXPECT_EQ(resolver_.completions(), 1u);
}

TEST_F(UidFirstOwnerLookupTest, ACompletionWaitsForTheWalkBudget) {
  procfs_.add_fd(500, 7, "socket:[5001]");  // the user's shell holds the server's socket too
  resolver_.set_walk_budget(WalkBudget(/*share=*/0, std::chrono::nanoseconds(1)));
  EXPECT_EQ(resolve_sockets({{5001, 0, 1000}}).at(5001).size(), 2u);  // 500 and 502 by uid
  EXPECT_EQ(resolve_sockets({{5001, 0, 1000}}).at(5001).size(), 2u);  // budget spent
  EXPECT_EQ(resolver_.completions(), 0u);
  resolver_.set_walk_budget(WalkBudget(0.01, std::chrono::seconds(1)));
  EXPECT_EQ(resolve_sockets({{5001, 0, 1000}}).at(5001).size(), 2u);
  EXPECT_EQ(resolver_.completions(), 1u);
  EXPECT_EQ(resolver_.processes_scanned(), 6u);  // 500-502, then 1, 100, 200 once
}

// The design rests on this: the owner of /proc/<pid> is the process's effective uid even
// once it is not dumpable (its files then belong to root), as after a setuid.
TEST(OwnerResolver, RealProcShowsTheEffectiveUidOfANonDumpableProcessOnItsDirectory) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    const bool dropped =
        ::setresuid(65534, 65534, 65534) == 0 && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
    const char byte = dropped ? '1' : '0';
    if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  const ssize_t n = ::read(ready[0], &byte, 1);
  ::close(ready[0]);
  struct stat dir {};
  struct stat fd_dir {};
  const std::string proc = "/proc/" + std::to_string(child);
  const int dir_status = ::stat(proc.c_str(), &dir);
  const int fd_status = ::stat((proc + "/fd").c_str(), &fd_dir);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_EQ(n, 1);
  ASSERT_EQ(byte, '1') << "setresuid(65534) needs root (make test runs as root)";
  ASSERT_EQ(dir_status, 0);
  ASSERT_EQ(fd_status, 0);
  EXPECT_EQ(dir.st_uid, 65534u);
  EXPECT_EQ(fd_dir.st_uid, 0u);
}

TEST_F(OwnerResolverTest, PastTheWalkBudgetANewSocketIsDeferredNotWalkedFor) {
  resolver_.set_walk_budget(WalkBudget(/*share=*/0, std::chrono::nanoseconds(1)));
  EXPECT_EQ(resolve({1001}).size(), 1u);  // the first walk spends the whole budget
  const OwnerMap owners = resolve({1001, 2001});
  EXPECT_EQ(owners.size(), 1u);  // 1001 still from the cache, 2001 deferred
  EXPECT_EQ(owners.count(2001), 0u);
  EXPECT_EQ(resolver_.walks(), 1u);
  EXPECT_EQ(resolver_.deferred(), 1u);
}

TEST(WalkBudgetTest, RefillsAtItsShareOfWallTimeUpToTheBurst) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  WalkBudget budget(0.01, seconds(1));
  const WalkBudget::Clock::time_point t0{};
  EXPECT_TRUE(budget.available(t0));
  budget.charge(seconds(2));                          // left: -1 s
  EXPECT_FALSE(budget.available(t0 + seconds(10)));   // -1 s + 100 ms
  EXPECT_FALSE(budget.available(t0 + seconds(100)));  // + 900 ms: -0 s
  EXPECT_TRUE(budget.available(t0 + seconds(101)));   // + 10 ms
  EXPECT_TRUE(budget.available(t0 + seconds(100000)));
  budget.charge(milliseconds(999));  // capped at the burst: 1 s - 999 ms left
  EXPECT_TRUE(budget.available(t0 + seconds(100000)));
  budget.charge(milliseconds(1));
  EXPECT_FALSE(budget.available(t0 + seconds(100000)));
}

}  // namespace
}  // namespace port_exporter
