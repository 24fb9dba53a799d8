#!/usr/bin/env python3
"""A Swiftlet agent in Python: it serves tasks from the broker over gRPC.

It subscribes as an agent, acknowledges each task it is given, reports progress, and completes it with the task's
text in upper case (with unary calls, or with --on-stream on the Subscribe stream itself); after --count tasks it
closes its stream and exits. Each event is printed as a JSON line.

Stubs first (from a Swiftlet checkout or its npm package):
    python3 -m grpc_tools.protoc -I proto/swiftlet/broker/v1 \
        --python_out=stubs --grpc_python_out=stubs broker.proto
then:
    python3 agent.py --stubs stubs --target 127.0.0.1:50051 --agent shouter --key "$SWIFTLET_KEY" --count 3
"""
import argparse
import json
import queue
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--stubs", required=True, help="directory holding broker_pb2.py and broker_pb2_grpc.py")
    p.add_argument("--target", required=True, help="host:port of the broker's gRPC server")
    p.add_argument("--agent", required=True)
    p.add_argument("--skill", action="append", default=[])
    p.add_argument("--key", default="", help="an API key (server.apiKeys); none for a keyless local server")
    p.add_argument("--count", type=int, default=1, help="tasks to complete before exiting")
    p.add_argument("--on-stream", action="store_true", help="report on the Subscribe stream instead of with calls")
    args = p.parse_args()

    sys.path.insert(0, args.stubs)
    import grpc
    import broker_pb2 as pb
    import broker_pb2_grpc as rpc

    channel = grpc.insecure_channel(args.target)
    broker = rpc.BrokerStub(channel)
    auth = [("authorization", "Bearer " + args.key)] if args.key else []

    # Subscribe is a bidirectional stream: what we send goes through this queue, a None ends it.
    outbox = queue.Queue()
    outbox.put(pb.SubscribeRequest(start=pb.Start(agent=args.agent, skills=args.skill, max_in_flight=1)))
    stream = broker.Subscribe(iter(outbox.get, None), metadata=auth)

    done = 0
    for msg in stream:
        kind = msg.WhichOneof("message")
        if kind == "subscribed":
            emit(subscribed=msg.subscribed.agent, lease_ms=msg.subscribed.lease_ms)
        elif kind == "assignment" and args.on_stream:
            # Reports on the stream itself: no ack needed, and the end is answered by an `ended` message.
            task = msg.assignment.task
            data = json.loads(task.data_json) if task.data_json else None
            outbox.put(pb.SubscribeRequest(progress=pb.ProgressRequest(task_id=task.id, text="reading")))
            seen = json.dumps({"seen": data})
            outbox.put(pb.SubscribeRequest(progress=pb.ProgressRequest(task_id=task.id, data_json=seen)))
            artifact = pb.Artifact(name="echo", data_json=json.dumps(data))
            complete = pb.CompleteRequest(task_id=task.id, message=task.text.upper(), artifacts=[artifact])
            outbox.put(pb.SubscribeRequest(complete=complete))
        elif kind == "ended":
            if msg.ended.HasField("error"):
                # SWIFTLET_ERR_TASK_NOT_HELD: the task was taken back meanwhile (a cancel message says why).
                emit(lost=msg.ended.task_id, code=msg.ended.error.code)
                continue
            emit(completed=msg.ended.task_id, state=pb.TaskState.Name(msg.ended.state))
            done += 1
            if done == args.count:
                break
        elif kind == "assignment":
            task = msg.assignment.task
            outbox.put(pb.SubscribeRequest(ack=pb.Ack(task_id=task.id)))
            try:
                broker.Progress(pb.ProgressRequest(task_id=task.id, text="reading"), metadata=auth)
                data = json.loads(task.data_json) if task.data_json else None
                broker.Progress(pb.ProgressRequest(task_id=task.id, data_json=json.dumps({"seen": data})), metadata=auth)
                broker.Complete(
                    pb.CompleteRequest(
                        task_id=task.id,
                        message=task.text.upper(),
                        artifacts=[pb.Artifact(name="echo", data_json=json.dumps(data))],
                    ),
                    metadata=auth,
                )
            except grpc.RpcError as err:
                # FAILED_PRECONDITION: the task was taken back meanwhile (a cancel message says why).
                if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                    raise
                emit(lost=task.id)
                continue
            emit(completed=task.id, attempt=msg.assignment.attempt)
            done += 1
            if done == args.count:
                break
        elif kind == "cancel":
            # The task was canceled, passed its deadline or lost its lease: stop working on it.
            emit(canceled=msg.cancel.task_id, code=msg.cancel.code, reason=msg.cancel.reason)

    outbox.put(None)
    stream.cancel()
    channel.close()


def emit(**fields):
    print(json.dumps(fields), flush=True)


if __name__ == "__main__":
    main()
