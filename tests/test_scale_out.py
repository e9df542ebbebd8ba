"""Two `subsidy serve` instances, each with its own data directory, on one PostgreSQL: what a load
balancer in front of them needs. A conversation's turns alternate between the instances; 30
conversations run at once; then one instance is killed with SIGKILL while turns are in flight,
and the other carries every conversation on (a turn cut off by the kill is sent again to the
survivor, as a load balancer retries an idempotent-looking POST on a broken connection)."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from tests.test_load import (
    FOLLOW_UPS,
    SESSIONS_SCRIPT,
    Server,
    free_port,
    needs_assistant,
    shared_index_data_dir,
)

# Two real server instances behind a balancer, PostgreSQL.
pytestmark = pytest.mark.integration

CONVERSATIONS = 30
TURNS_BEFORE_THE_KILL = 4
TURNS_DURING_THE_KILL = 2  # the kill comes once half of these have been answered
TURNS_AFTER_THE_KILL = 2  # every conversation, on the survivor


@dataclass
class Conversation:
    index: int
    city: str = ""
    session_id: str | None = None
    sent: list[str] = field(default_factory=list)
    retried: set[int] = field(default_factory=set)  # turns (0-based) sent again after a broken connection
    cities: list[str] = field(default_factory=list)
    answered_by: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Balancer:
    """Round-robin over the instances still up, per conversation: turn i of conversation k goes to
    instance (k + i) % 2, so consecutive turns of every conversation alternate."""

    clients: dict[str, httpx.AsyncClient]
    down: set[str] = field(default_factory=set)

    def pick(self, conversation: Conversation, turn: int) -> str:
        names = sorted(self.clients)
        wanted = names[(conversation.index + turn) % len(names)]
        if wanted in self.down:
            wanted = next(name for name in names if name not in self.down)
        return wanted


async def run_turn(balancer: Balancer, conversation: Conversation, turn: int, message: str) -> None:
    body = {"message": message, "as_of": "2022-06-01"}
    if conversation.session_id:
        body["session_id"] = conversation.session_id
    conversation.sent.append(message)
    name = balancer.pick(conversation, turn)
    try:
        response = await balancer.clients[name].post("/api/chat", json=body)
    except httpx.TransportError:
        if name not in balancer.down:  # an instance that is up must not break a connection
            conversation.errors.append(f"turn {turn} on {name}: connection broken")
            return
        conversation.retried.add(turn)
        name = balancer.pick(conversation, turn)
        response = await balancer.clients[name].post("/api/chat", json=body)
    if response.status_code != 200:
        conversation.errors.append(
            f"turn {turn} on {name}: HTTP {response.status_code} {response.text[:120]}"
        )
        return
    answer = response.json()
    if conversation.session_id is None:
        conversation.session_id = answer["session_id"]
    elif answer["session_id"] != conversation.session_id:
        conversation.errors.append(f"turn {turn}: session_id changed to {answer['session_id']}")
    conversation.answered_by.append(name)
    if answer.get("estimate"):
        conversation.cities.append(answer["estimate"]["city"])


async def converse(
    balancer: Balancer, conversation: Conversation, turns: range, answered: asyncio.Event
) -> None:
    city_word, city_id, level = SESSIONS_SCRIPT[conversation.index % len(SESSIONS_SCRIPT)]
    conversation.city = city_id
    for turn in turns:
        if turn == 0:
            message = f"我们公司在{city_word}，主导制定了一项{level}，能拿多少资助？"
        else:
            message = FOLLOW_UPS[(turn - 1) % len(FOLLOW_UPS)]
        await run_turn(balancer, conversation, turn, message)
        answered.set()


def stored_matches_sent(stored: list[str], conversation: Conversation) -> bool:
    """The stored turns are the ones sent, in order; a turn whose instance died under it may be
    stored twice (once by the dead instance before it died, once by the survivor) or once."""
    position = 0
    for turn, message in enumerate(conversation.sent):
        copies = 1
        if turn in conversation.retried and stored[position + 1 : position + 2] == [message]:
            copies = 2
        if stored[position : position + copies] != [message] * copies:
            return False
        position += copies
    return position == len(stored)


@pytest.fixture
def two_instances(tmp_path, postgres_url, monkeypatch) -> dict[str, Server]:
    env = {"SUBSIDY_DATABASE_URL": postgres_url}
    servers = {
        name: Server(port=free_port(), data_dir=shared_index_data_dir(tmp_path / name), env_extra=env)
        for name in ("a", "b")
    }
    with ThreadPoolExecutor(2) as pool:  # start together: both migrate the empty database at once
        list(pool.map(lambda server: server.start(), servers.values()))
    monkeypatch.setenv("SUBSIDY_DATABASE_URL", postgres_url)  # this process reads the same store
    yield servers
    for server in servers.values():
        server.kill(signal.SIGTERM)


@needs_assistant
def test_conversations_alternate_between_two_instances_and_survive_a_sigkill(two_instances):
    from assistant import sessions, store

    conversations = [Conversation(index=k) for k in range(CONVERSATIONS)]

    async def scenario() -> None:
        limits = httpx.Limits(max_connections=CONVERSATIONS, max_keepalive_connections=CONVERSATIONS)
        clients = {
            name: httpx.AsyncClient(base_url=server.base, timeout=60.0, limits=limits)
            for name, server in two_instances.items()
        }
        balancer = Balancer(clients)
        answered = asyncio.Event()
        try:
            await asyncio.gather(
                *(converse(balancer, c, range(TURNS_BEFORE_THE_KILL), answered) for c in conversations)
            )
            assert all(
                c.answered_by == ["a", "b", "a", "b"] or c.answered_by == ["b", "a", "b", "a"]
                for c in conversations
            )

            async def kill_a_mid_way() -> None:
                target = CONVERSATIONS * TURNS_BEFORE_THE_KILL + CONVERSATIONS * TURNS_DURING_THE_KILL // 2
                while sum(len(c.answered_by) for c in conversations) < target:
                    answered.clear()
                    await answered.wait()
                balancer.down.add("a")
                await asyncio.get_running_loop().run_in_executor(
                    None, two_instances["a"].kill, signal.SIGKILL
                )

            during = range(TURNS_BEFORE_THE_KILL, TURNS_BEFORE_THE_KILL + TURNS_DURING_THE_KILL)
            await asyncio.gather(
                kill_a_mid_way(), *(converse(balancer, c, during, answered) for c in conversations)
            )
            after = range(during.stop, during.stop + TURNS_AFTER_THE_KILL)
            await asyncio.gather(*(converse(balancer, c, after, answered) for c in conversations))
        finally:
            for client in clients.values():
                await client.aclose()

    asyncio.run(asyncio.wait_for(scenario(), timeout=300))

    assert two_instances["a"].proc is None  # it was killed mid-way
    print(f"turns sent again after the kill: {sum(len(c.retried) for c in conversations)}")
    errors = [f"conversation {c.index}: {e}" for c in conversations for e in c.errors]
    assert errors == [], errors[:10]
    assert len({c.session_id for c in conversations}) == CONVERSATIONS
    total = TURNS_BEFORE_THE_KILL + TURNS_DURING_THE_KILL + TURNS_AFTER_THE_KILL
    store.forget_engines()
    for c in conversations:
        assert len(c.answered_by) == total, f"conversation {c.index}: {c.answered_by}"
        assert (
            c.answered_by[-TURNS_AFTER_THE_KILL:] == ["b"] * TURNS_AFTER_THE_KILL
        )  # the survivor carried it on
        assert c.cities and set(c.cities) == {c.city}, f"conversation {c.index} mixed up: {c.cities}"
        assert c.session_id is not None
        stored = sessions.history(c.session_id)
        assert [t["n"] for t in stored] == list(range(1, len(stored) + 1))
        messages = [t["message"] for t in stored]
        assert stored_matches_sent(messages, c), f"conversation {c.index}: stored {messages}, sent {c.sent}"
        state = sessions.load_state(c.session_id)
        assert state is not None and state.city == c.city and state.turns == len(stored)
    store.forget_engines()


def read_response(connection: socket.socket) -> bytes:
    """One whole HTTP/1.1 response (headers and Content-Length body); b"" if the server closed."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            return received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return received


def test_an_idle_keep_alive_connection_is_left_for_the_balancer_to_close(tmp_path):
    """A balancer reuses its idle connections to an instance for up to a minute; an instance that
    closed them sooner would now and then reset a request sent just as it closes (a 502)."""
    server = Server(port=free_port(), data_dir=shared_index_data_dir(tmp_path / "data"), fake_assistant=True)
    server.start()
    request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
            for pause in (0, 6):  # uvicorn's own default closes after 5 s
                time.sleep(pause)
                connection.sendall(request)
                assert read_response(connection).startswith(b"HTTP/1.1 200"), f"closed after {pause} s idle"
    finally:
        server.kill(signal.SIGTERM)
