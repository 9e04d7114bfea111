"""Music: the local library (tags with mutagen), the player core (queue, resume, volume,
ducking), the skill through the dialogue, and the player node on rclpy with the audio
measured on speaker/music (which track plays, by its tone; the level it plays at)."""

import time

import mutagen
import numpy as np
import pytest
import soundfile as sf
from std_msgs.msg import String

from glasses_agent.backends.music import Library, MusicError, MusicPlayer
from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.intents import ParseResult
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.testing import wait_for

TONES = {"blue_tone.flac": 440.0, "fast_beat.ogg": 660.0, "rain_song.wav": 880.0}


def write_tone(path, freq, seconds, rate, tags, **fmt):
    t = np.arange(int(seconds * rate)) / rate
    sf.write(str(path), 0.5 * np.sin(2 * np.pi * freq * t), rate, **fmt)
    if tags:
        f = mutagen.File(str(path), easy=True)
        for k, v in tags.items():
            f[k] = v
        f.save()


@pytest.fixture
def library_dir(tmp_path):
    """Three generated tracks: tagged FLAC (jazz, calm), tagged OGG Vorbis, untagged WAV; one broken file."""
    folder = tmp_path / "music"
    folder.mkdir()
    write_tone(folder / "blue_tone.flac", 440.0, 6.0, 44100,
               {"title": "Blue Tone", "artist": "Miles Tester", "genre": "Jazz", "mood": "calm"})  # fmt: skip
    write_tone(folder / "fast_beat.ogg", 660.0, 3.0, 48000,
               {"title": "Fast Beat", "artist": "DJ Probe", "genre": "Electronic", "mood": "energetic"},
               format="OGG", subtype="VORBIS")  # fmt: skip
    write_tone(folder / "rain_song.wav", 880.0, 3.0, 22050, {})
    (folder / "broken.mp3").write_bytes(b"\x00" * 100)
    return folder


def dominant_hz(x, rate):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def rms(x):
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


# -- library and player (no ROS) --------------------------------------------------------------


def test_library_reads_tags_and_searches(library_dir):
    lib = Library.scan(library_dir)
    assert [(t.title, t.artist, t.genre, t.mood) for t in lib.tracks] == [
        ("Blue Tone", "Miles Tester", "Jazz", "calm"), ("Fast Beat", "DJ Probe", "Electronic", "energetic"),
        ("rain song", "", "", "")]  # fmt: skip
    assert len(lib.skipped) == 1 and "broken.mp3" in lib.skipped[0]
    assert lib.tracks[0].duration_s == pytest.approx(6.0)
    title = {q: [lib.tracks[k].title for k in lib.search(q)] for q in
             ("jazz", "some jazz", "miles tester", "blue tone by miles tester", "something calm", "energetic",
              "rain song", "爵士乐", "轻松的音乐", "polka")}  # fmt: skip
    assert title == {"jazz": ["Blue Tone"], "some jazz": ["Blue Tone"], "miles tester": ["Blue Tone"],
                     "blue tone by miles tester": ["Blue Tone"], "something calm": ["Blue Tone"],
                     "energetic": ["Fast Beat"], "rain song": ["rain song"], "爵士乐": ["Blue Tone"],
                     "轻松的音乐": ["Blue Tone"], "polka": []}  # fmt: skip
    assert lib.search(None) == [0, 1, 2]


def test_player_queue_resume_volume_and_ducking(library_dir):
    player = MusicPlayer(Library.scan(library_dir), rate=22050, volume=50, duck_gain=0.25)
    assert player.play(None).title == "Blue Tone" and player.queue == [0, 1, 2]
    block, _ = player.render(11025)
    assert dominant_hz(block, 22050) == pytest.approx(440, abs=3)
    assert rms(block) == pytest.approx(0.5 / np.sqrt(2) * 0.5, rel=0.03)  # amplitude = volume / 100
    player.set_volume(100)
    assert rms(player.render(11025)[0]) == pytest.approx(0.5 / np.sqrt(2), rel=0.03)
    player.duck("speech", True)
    assert rms(player.render(11025)[0]) == pytest.approx(0.25 * 0.5 / np.sqrt(2), rel=0.03)
    player.duck("speech", False)
    player.pause()
    assert len(player.render(11025)[0]) == 0
    at = player.played_samples
    player.play(None)  # resume where it paused
    assert player.played_samples == at and player.track.title == "Blue Tone"
    _, events = player.render(6 * 22050)  # over the end of the track into the next one
    assert events == ["next"] and player.track.title == "Fast Beat"
    assert dominant_hz(player.render(11025)[0], 22050) == pytest.approx(660, abs=3)
    player.next()
    assert player.next() is None and player.state == "stopped"
    with pytest.raises(MusicError) as err:
        player.play("polka")
    assert err.value.reason == "no_match"
    with pytest.raises(MusicError) as err:
        MusicPlayer(Library()).play("jazz")
    assert err.value.reason == "empty_library"


# -- the skill through the dialogue -------------------------------------------------------------


@pytest.fixture
def dialogue(tmp_path):
    sandbox = SqliteSandbox(tmp_path / "agent.sqlite")
    yield DialogueManager(sandbox)
    sandbox.close()


def test_cards_come_from_the_players_state(dialogue):
    d = dialogue
    step = d.on_transcript("play some jazz", None, 1.0, 1.0)[0]
    (topic, command), = step.outbox
    assert topic == "music/command" and (command.command, command.query) == ("play", "jazz")
    assert not any("Playing" in r.title for r in step.replies)  # nothing claimed before the player answers
    state = ev.MusicState(stamp=1.1, request_id=command.request_id, state="playing", title="Blue Tone",
                          artist="Miles Tester", volume=60)  # fmt: skip
    card = d.on_music_state(state, 1.1)[0].replies[0]
    assert (card.title, card.body) == ("♪ Playing Blue Tone", "Miles Tester")
    up = d.on_transcript("turn it up", None, 2.0, 2.0)[0].outbox[0][1]
    assert (up.command, up.level) == ("volume", 70)  # from the player's volume, 60
    card = d.on_music_state(ev.MusicState(stamp=2.1, request_id=up.request_id, state="playing", volume=70), 2.1)[0]
    assert card.replies[0].title == "Volume 70"
    miss = d.on_transcript("play polka", None, 3.0, 3.0)[0].outbox[0][1]
    card = d.on_music_state(ev.MusicState(stamp=3.1, request_id=miss.request_id, state="playing", volume=70,
                                          reason="no_match"), 3.1)[0].replies[0]  # fmt: skip
    assert card.message_id == "music_refused" and card.body == 'nothing in the library matches "polka"'
    assert d.on_music_state(ev.MusicState(stamp=4.0, state="playing", volume=70), 4.0) == []  # track change
    assert d.metrics()["completions"] == 2 and d.metrics()["failures"] == 1


def test_no_player_running_says_so(dialogue):
    d = dialogue
    d.on_parsed(ParseResult("pause_music", {}, 0.9, "zh", "暂停音乐"), "暂停音乐", 1.0, 1.0)
    assert d.tick(2.0) == []
    card = d.tick(5.0)[0].replies[0]
    assert card.message_id == "music_no_player" and card.title == "音乐播放器未运行"


# -- the player node on rclpy ---------------------------------------------------------------------


def test_player_node_plays_the_library_on_the_speaker_topic(ros, tmp_path, library_dir):
    from rclpy.parameter import Parameter
    from sensor_msgs.msg import Image

    from glasses_agent.nodes.agent_node import AgentNode
    from glasses_agent.nodes.music_node import MusicPlayerNode
    from glasses_bringup.foundation.ros.msgs import audio_samples

    chunks = ros.collect("speaker/music", Image)
    cards = ros.collect_events("display/card")
    speech = ros.publisher("perception/transcript", String)
    speaker = ros.publisher("speaker/state", String)
    player = ros.add(MusicPlayerNode(namespace=ros.namespace, parameter_overrides=[
        Parameter("music_dir", value=str(library_dir)), Parameter("volume", value=60)]))  # fmt: skip
    ros.add(AgentNode(namespace=ros.namespace, parameter_overrides=[
        Parameter("db_path", value=str(tmp_path / "agent.sqlite")), Parameter("nav_area", value="")]))  # fmt: skip
    assert wait_for(lambda: speech.get_subscription_count() > 0 and speaker.get_subscription_count() > 0, 10)

    def say(text):
        t = time.time()
        speech.publish(String(data=ev.encode(ev.Transcript(stamp=t, text=text, final=True, lang="en",
                                                           audio_start=t - 1, audio_end=t, latency_ms=50.0))))  # fmt: skip

    def listen(seconds):
        """Samples played on speaker/music during the next ``seconds``."""
        start = len(chunks)
        time.sleep(seconds)
        got = [audio_samples(m) for m in chunks[start:]]
        return np.concatenate([s[:, 0] for _, s in got]) if got else np.zeros(0), (got[0][0].rate if got else 0)

    assert listen(0.4)[0].size == 0  # nothing plays before a request
    assert not player.diagnostics_values()["rendering"]  # and no render timer wakes an idle player
    say("play some jazz")
    assert wait_for(lambda: any(c.title == "♪ Playing Blue Tone" for c in cards), 10)
    x, rate = listen(0.6)
    assert rate == 22050 and x.size > 0.3 * rate and dominant_hz(x, rate) == pytest.approx(440, abs=5)
    level_60 = rms(x)
    assert level_60 == pytest.approx(0.6 * 0.5 / np.sqrt(2), rel=0.05)

    say("set volume to 30")
    assert wait_for(lambda: any(c.title == "Volume 30" for c in cards), 10)
    time.sleep(0.15)
    x, _ = listen(0.5)
    assert rms(x) == pytest.approx(level_60 * 0.5, rel=0.08)  # the output level really halved

    speaker.publish(String(data=ev.encode(ev.SpeakerState(stamp=time.time(), state="speaking", text="…"))))
    time.sleep(0.15)
    ducked, _ = listen(0.4)
    assert rms(ducked) == pytest.approx(level_60 * 0.5 * 0.25, rel=0.1)  # ducked under the assistant's voice
    speaker.publish(String(data=ev.encode(ev.SpeakerState(stamp=time.time(), state="idle"))))
    call = ros.publisher("phone/call", String)
    assert wait_for(lambda: call.get_subscription_count() > 0, 10)
    call.publish(String(data=ev.encode(ev.CallState(stamp=time.time(), state="active", contact="Anna"))))
    time.sleep(0.15)
    assert rms(listen(0.4)[0]) == pytest.approx(level_60 * 0.5 * 0.25, rel=0.1)  # ducked under a call
    call.publish(String(data=ev.encode(ev.CallState(stamp=time.time(), state="idle"))))
    time.sleep(0.15)
    assert rms(listen(0.4)[0]) == pytest.approx(level_60 * 0.5, rel=0.08)  # and back after it

    say("pause the music")
    assert wait_for(lambda: any(c.title == "Music paused" for c in cards), 10), [c.title for c in cards]
    time.sleep(0.15)
    assert listen(0.4)[0].size == 0  # paused: silence on the speaker path
    assert not player.diagnostics_values()["rendering"]
    say("play some jazz")
    assert wait_for(lambda: sum(c.title == "♪ Playing Blue Tone" for c in cards) == 2, 10)
