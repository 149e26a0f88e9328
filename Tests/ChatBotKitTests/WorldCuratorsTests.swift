import ChatBotKit
import Testing

/// The world keeps its curators' ids in order as it learns them, for bots that go
/// through every curator on every decision.
@Suite struct WorldCuratorsTests {
    @Test func curatorsAreKeptInIdOrderAsRolesAreLearnedAndLost() {
        var world = WorldModel(serviceAccountID: "1000", roster: ["c", "a"])
        world.learnCurators(["10", "b", "9", "a", "1000"])
        #expect(world.curatorIDs == ["9", "10", "a", "b", "c"], "numbers in number order; the service account is no curator")
        world.learnRole(.client, of: "b")
        world.learnRole(.client, of: "nobody")
        #expect(world.curatorIDs == ["9", "10", "a", "c"])
        #expect(world.curators.map(\.id) == world.curatorIDs)

        let reloaded = WorldModel(serviceAccountID: "1000", users: Array(world.users.values))
        #expect(reloaded.curatorIDs == world.curatorIDs, "derived in order from stored users")
    }

    @Test func idsOfBothKindsAreFoundAgainWhenARoleIsLost() {
        var world = WorldModel(serviceAccountID: "1000")
        world.learnCurators(["2", "10", "1a", "1b"])
        #expect(world.curatorIDs == ["2", "10", "1a", "1b"])
        world.learnRole(.client, of: "2")
        world.learnCurators(["1a"])
        #expect(world.curatorIDs == ["10", "1a", "1b"], "the one who left is gone, none is listed twice")
    }
}
