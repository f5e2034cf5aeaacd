"""OpenALPR webhook bodies as the agent posts them, following the documented shapes (openalpr/doc
source/app_integration.include for alpr_group and heartbeat; alpr_alert as cited in anpr/openalpr.py)."""

AGENT = "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY"
GROUP = {
    "data_type": "alpr_group", "version": 2, "company_id": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    "agent_uid": AGENT, "camera_id": 2090267338,
    "best_plate_number": "粤S12345", "best_confidence": 90.2536163330078, "best_region": "cn",
    "best_region_confidence": 83, "best_image_width": 1280, "best_image_height": 720,
    "best_uuid": f"{AGENT}-2090267338-1538924513527", "matches_template": False,
    "epoch_start": 1538924513527, "epoch_end": 1538924513627, "frame_start": 68, "frame_end": 71,
    "is_parked": False, "agent_type": "alprd", "user_data": "hello world",
    "uuids": [f"{AGENT}-2090267338-1538924513527", f"{AGENT}-2090267338-1538924513627"],
    "travel_direction": 285.945404052734, "agent_version": "2.6.101", "country": "cn", "plate_indexes": [0, 0],
    "candidates": [{"matches_template": 0, "confidence": 90.2536163330078, "plate": "粤S12345"},
                   {"matches_template": 0, "confidence": 70.315123252332, "plate": "粤SI2345"}],
    "best_plate": {"plate_index": 0, "confidence": 90.2536163330078, "plate": "粤S12345", "region": "cn",
                   "plate_crop_jpeg": "...base64_jpeg_bytes...", "coordinates": [{"x": 62, "y": 219}]},
}
ALERT = {
    "data_type": "alpr_alert", "version": 2, "epoch_time": 1538924523000, "agent_uid": AGENT,
    "alert_list": "Stolen vehicles", "alert_list_id": 3, "site_name": "Checkpoint 7", "camera_name": "Lane 2",
    "camera_number": 2090267338, "plate_number": "粤S12345", "description": "reported stolen", "list_type": "alert",
    "group": {k: v for k, v in GROUP.items() if k != "data_type"},
}
HEARTBEAT = {"data_type": "heartbeat", "agent_uid": AGENT, "timestamp": 1538925244693, "video_streams": []}
