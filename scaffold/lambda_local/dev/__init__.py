"""`lambda-scaffold dev`: the app natively behind the real RIE and Lambda Web Adapter, live."""
